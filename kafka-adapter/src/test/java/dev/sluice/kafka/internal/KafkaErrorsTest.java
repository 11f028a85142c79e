package dev.sluice.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownServerException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KafkaErrorsTest {
  private static SluiceException map(Throwable e) {
    return KafkaErrors.translate(e);
  }

  private static void expect(Throwable native_, ErrorCode code, boolean retryable) {
    SluiceException e = map(native_);
    assertThat(e.code()).as("%s", native_).isEqualTo(code);
    assertThat(e.isRetryable()).as("retryable %s", native_).isEqualTo(retryable);
    assertThat(e.getCause()).isSameAs(KafkaErrors.unwrap(native_));
  }

  @Test
  @DisplayName("maps each Kafka error to its portable code, keeping it as the cause")
  void mapsCodes() {
    expect(new UnknownTopicOrPartitionException("gone"), ErrorCode.NOT_FOUND, false);
    expect(new TopicExistsException("there"), ErrorCode.ALREADY_EXISTS, false);
    expect(new RecordTooLargeException("big"), ErrorCode.RECORD_TOO_LARGE, false);
    expect(new RecordBatchTooLargeException("big"), ErrorCode.RECORD_TOO_LARGE, false);
    expect(new InvalidTopicException("bad"), ErrorCode.INVALID_ARGUMENT, false);
    expect(new InvalidPartitionsException("bad"), ErrorCode.INVALID_ARGUMENT, false);
    expect(new InvalidReplicationFactorException("bad"), ErrorCode.INVALID_ARGUMENT, false);
    expect(new InvalidConfigurationException("bad"), ErrorCode.INVALID_ARGUMENT, false);
    expect(new ConfigException("bad"), ErrorCode.INVALID_CONFIG, false);
    expect(new SaslAuthenticationException("who"), ErrorCode.UNAUTHENTICATED, false);
    expect(new SslAuthenticationException("who"), ErrorCode.UNAUTHENTICATED, false);
    expect(new TopicAuthorizationException("no"), ErrorCode.PERMISSION_DENIED, false);
    expect(new GroupAuthorizationException("no"), ErrorCode.PERMISSION_DENIED, false);
    expect(new TimeoutException("slow"), ErrorCode.TIMEOUT, true);
    expect(new ThrottlingQuotaExceededException("slow down"), ErrorCode.THROTTLED, true);
    expect(new NetworkException("down"), ErrorCode.UNAVAILABLE, true);
    expect(new NotLeaderOrFollowerException("moved"), ErrorCode.UNAVAILABLE, true);
    expect(new InterruptException(new InterruptedException()), ErrorCode.CLOSED, false);
    expect(new CommitFailedException(), ErrorCode.FAILED_PRECONDITION, false);
    expect(new UnknownServerException("?"), ErrorCode.INTERNAL, false);
    expect(new KafkaException("Producer is closed forcefully."), ErrorCode.CLOSED, false);
    expect(new IllegalStateException("weird"), ErrorCode.INTERNAL, false);
    Thread.interrupted(); // InterruptException sets the flag
  }

  @Test
  @DisplayName("unwraps future and client wrappers to the error that explains the failure")
  void unwraps() {
    UnknownTopicOrPartitionException cause = new UnknownTopicOrPartitionException("gone");
    assertThat(map(new ExecutionException(cause)).getCause()).isSameAs(cause);
    assertThat(map(new CompletionException(new ExecutionException(cause))).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(map(new KafkaException(cause)).getCause()).isSameAs(cause);
  }

  @Test
  @DisplayName("returns a SluiceException unchanged")
  void passesSluiceExceptions() {
    SluiceException e = new SluiceException(ErrorCode.NOT_FOUND, "x");
    assertThat(map(e)).isSameAs(e);
    assertThat(map(new CompletionException(e))).isSameAs(e);
  }
}
