package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;

/** Maps Kafka client errors to portable ones. Stateless. */
final class KafkaErrors {
  private KafkaErrors() {}

  /** The portable error for a native one; the native error stays the cause. */
  static SluiceException translate(Throwable error) {
    if (error instanceof SluiceException) {
      return (SluiceException) error;
    }
    Throwable e = unwrap(error);
    if (e instanceof SluiceException) {
      return (SluiceException) e;
    }
    String detail = describe(e);
    if (e instanceof UnknownTopicOrPartitionException || e instanceof UnknownTopicIdException) {
      return new SluiceException(
          ErrorCode.NOT_FOUND, "The Kafka topic or partition does not exist: " + detail, e);
    }
    if (e instanceof GroupIdNotFoundException) {
      return new SluiceException(
          ErrorCode.NOT_FOUND, "The consumer group does not exist: " + detail, e);
    }
    if (e instanceof TopicExistsException) {
      return new SluiceException(
          ErrorCode.ALREADY_EXISTS, "The Kafka topic already exists: " + detail, e);
    }
    if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException) {
      return new SluiceException(
          ErrorCode.RECORD_TOO_LARGE,
          "The record is larger than Kafka accepts (producer max.request.size, broker"
              + " message.max.bytes or topic max.message.bytes): "
              + detail,
          e);
    }
    // Before InvalidConfigurationException, which Kafka's Authentication- and
    // AuthorizationException extend.
    if (e instanceof AuthenticationException) {
      return new SluiceException(
          ErrorCode.UNAUTHENTICATED,
          "Kafka did not accept the credentials (check the sluice.kafka.security.protocol,"
              + " sasl.* and ssl.* settings): "
              + detail,
          e);
    }
    if (e instanceof AuthorizationException) {
      return new SluiceException(
          ErrorCode.PERMISSION_DENIED, "Kafka refused access (ACLs): " + detail, e);
    }
    if (e instanceof InvalidTopicException
        || e instanceof InvalidPartitionsException
        || e instanceof InvalidReplicationFactorException
        || e instanceof InvalidConfigurationException
        || e instanceof PolicyViolationException
        || e instanceof InvalidRequestException
        // A timestamp outside the topic's message.timestamp.before/after.max.ms window.
        || e instanceof org.apache.kafka.common.errors.InvalidTimestampException) {
      return new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Kafka refused the request: " + detail, e);
    }
    if (e instanceof ConfigException) {
      return new SluiceException(ErrorCode.INVALID_CONFIG, "Invalid Kafka setting: " + detail, e);
    }
    if (e instanceof ThrottlingQuotaExceededException) {
      return new SluiceException(ErrorCode.THROTTLED, "Kafka throttled the request: " + detail, e);
    }
    if (e instanceof TimeoutException
        && String.valueOf(e.getMessage()).contains("waiting for a node assignment")) {
      // The admin client found no broker to send the call to: nothing answered at all.
      return new SluiceException(
          ErrorCode.UNAVAILABLE, "No Kafka broker could be reached: " + detail, e, true);
    }
    if (e instanceof TimeoutException || e instanceof java.util.concurrent.TimeoutException) {
      return new SluiceException(
          ErrorCode.TIMEOUT, "Kafka did not answer in time: " + detail, e, true);
    }
    if (e instanceof InterruptException
        || e instanceof InterruptedException
        || e instanceof WakeupException) {
      return new SluiceException(ErrorCode.CLOSED, "Interrupted: " + detail, e);
    }
    if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException) {
      return new SluiceException(
          ErrorCode.FENCED,
          "Another producer took over this transactional id (or the transaction timed out and"
              + " Kafka aborted it); this one may not commit: "
              + detail,
          e);
    }
    if (e instanceof CommitFailedException) {
      return new SluiceException(
          ErrorCode.FAILED_PRECONDITION,
          "The checkpoint was not stored because the partitions moved to another consumer: "
              + detail,
          e);
    }
    if (e instanceof UnsupportedVersionException) {
      return new SluiceException(
          ErrorCode.UNSUPPORTED, "The Kafka broker does not support this: " + detail, e);
    }
    if (e instanceof SerializationException) {
      return new SluiceException(ErrorCode.SERIALIZATION, detail, e);
    }
    if (e instanceof RetriableException) {
      return new SluiceException(
          ErrorCode.UNAVAILABLE, "Kafka is temporarily unable to serve: " + detail, e, true);
    }
    if (isClosed(e)) {
      return new SluiceException(ErrorCode.CLOSED, "The Kafka client is closed: " + detail, e);
    }
    return new SluiceException(ErrorCode.INTERNAL, "Kafka client error: " + detail, e);
  }

  /** Strips the wrappers futures and the client put around the error that explains it. */
  static Throwable unwrap(Throwable error) {
    Throwable e = error;
    for (int i = 0; i < 10; i++) {
      Throwable cause = e.getCause();
      if (cause == null || cause == e) {
        return e;
      }
      boolean wrapper =
          e instanceof ExecutionException
              || e instanceof CompletionException
              || (e.getClass() == KafkaException.class && cause instanceof KafkaException)
              || (e.getClass() == KafkaException.class && cause instanceof InterruptedException);
      if (!wrapper) {
        return e;
      }
      e = cause;
    }
    return e;
  }

  private static boolean isClosed(Throwable e) {
    String message = e.getMessage();
    return (e instanceof IllegalStateException || e instanceof KafkaException)
        && message != null
        && (message.contains("closed") || message.contains("Closed"));
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }
}
