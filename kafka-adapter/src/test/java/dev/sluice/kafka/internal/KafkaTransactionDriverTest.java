package dev.sluice.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.SendCallback;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Which group metadata a transaction may commit checkpoints with, and how a send into a transaction
 * that Kafka refused reports its failure.
 */
// Kafka deprecated ConsumerGroupMetadata's constructors for applications (a consumer makes it);
// they are the only way to make the metadata of a consumer that left, or of a member, in a test.
@SuppressWarnings("removal")
class KafkaTransactionDriverTest {
  @Test
  @DisplayName(
      "metadata without a generation (a consumer that left or lost its partitions) is refused"
          + " FENCED: the coordinator would accept it from anyone")
  void noGenerationIsFenced() {
    SluiceException e =
        catchThrowableOfType(
            SluiceException.class,
            () -> KafkaTransactionDriver.member(new ConsumerGroupMetadata("g")));

    assertThat(e.code()).isEqualTo(ErrorCode.FENCED);
    assertThat(e.getMessage()).contains("'g'");
  }

  @Test
  @DisplayName("a consumer that has not joined yet is refused FAILED_PRECONDITION")
  void notJoined() {
    SluiceException e =
        catchThrowableOfType(SluiceException.class, () -> KafkaTransactionDriver.member(null));

    assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
  }

  @Test
  @DisplayName("a member's metadata passes as it is")
  void memberPasses() {
    ConsumerGroupMetadata m = new ConsumerGroupMetadata("g", 3, "member-1", Optional.empty());

    assertThat(KafkaTransactionDriver.member(m)).isSameAs(m);
  }

  /** The error a send's callback hands on, as the processor translates it. */
  private static SluiceException sendFailedWith(Exception kafkaError) {
    AtomicReference<Throwable> failed = new AtomicReference<>();
    KafkaTransactionDriver.completion(
            new SendCallback() {
              @Override
              public void sent(Shard shard, Position position, long timestampMillis) {}

              @Override
              public void failed(Throwable error) {
                failed.set(error);
              }
            })
        .onCompletion(null, kafkaError);
    assertThat(failed.get()).as("the callback's error").isNotNull();
    return KafkaErrors.translate(failed.get());
  }

  @Test
  @DisplayName(
      "a send that fails because the group refused the transaction's checkpoints (the member was"
          + " dropped: a zombie) fails FENCED, not FAILED_PRECONDITION")
  void sendAfterRefusedCheckpointsIsFenced() {
    // The producer's transaction is in its abortable error state: its outstanding sends fail with
    // the error that put it there, the group coordinator's refusal of the offsets.
    CommitFailedException refused =
        new CommitFailedException(
            "Transaction offset Commit failed due to consumer group metadata mismatch: The"
                + " coordinator is not aware of this member.");

    SluiceException e = sendFailedWith(refused);

    assertThat(e.code()).isEqualTo(ErrorCode.FENCED);
    assertThat(e.getCause()).isSameAs(refused);
  }

  @Test
  @DisplayName(
      "a send that fails because Kafka aborted the transaction under it (timed out, its epoch"
          + " bumped) fails FENCED")
  void sendIntoAbortedTransactionIsFenced() {
    assertThat(sendFailedWith(new InvalidProducerEpochException("old epoch")).code())
        .isEqualTo(ErrorCode.FENCED);
    assertThat(sendFailedWith(new InvalidTxnStateException("not ongoing")).code())
        .isEqualTo(ErrorCode.FENCED);
  }

  @Test
  @DisplayName(
      "a send refused at once because an earlier request of the transaction was refused as a"
          + " zombie's fails FENCED")
  void wrappedRefusalIsFenced() {
    KafkaException state =
        new KafkaException(
            "Cannot perform send because at least one previous transactional or idempotent"
                + " request has failed with errors.",
            new CommitFailedException("metadata mismatch"));

    RuntimeException e = KafkaTransactionDriver.fencedIfStale(state);

    assertThat(e).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.FENCED);
  }

  @Test
  @DisplayName("other send failures keep their own code")
  void otherFailuresPass() {
    assertThat(sendFailedWith(new TimeoutException("slow")).code()).isEqualTo(ErrorCode.TIMEOUT);
  }
}
