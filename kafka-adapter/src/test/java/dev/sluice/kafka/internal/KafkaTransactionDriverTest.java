package dev.sluice.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which group metadata a transaction may commit checkpoints with. */
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
}
