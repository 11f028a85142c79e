package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * The enhanced fan-out stream consumer a standalone consumer subscribes with: registered with
 * {@code RegisterStreamConsumer} when absent, reused as it is when a consumer of that name already
 * exists (registered by someone else, or by an earlier run), and waited for until {@code ACTIVE}.
 * {@link #release} deregisters it only if this registration created it: a pre-existing consumer
 * belongs to whoever made it.
 */
final class FanOutRegistration {
  private static final Logger LOG = LoggerFactory.getLogger(FanOutRegistration.class);

  /** How long a consumer may take to turn ACTIVE (AWS: seconds; the limit is far above). */
  static final Duration ACTIVE_LIMIT = Duration.ofMinutes(2);

  private static final Duration DEREGISTER_LIMIT = Duration.ofSeconds(10);

  private final KinesisAsyncClient kinesis;
  private final String stream;
  private final String name;
  private final String consumerArn;
  private final boolean registeredHere;
  private boolean released;

  private FanOutRegistration(
      KinesisAsyncClient kinesis,
      String stream,
      String name,
      String consumerArn,
      boolean registeredHere) {
    this.kinesis = kinesis;
    this.stream = stream;
    this.name = name;
    this.consumerArn = consumerArn;
    this.registeredHere = registeredHere;
  }

  /**
   * The name a standalone consumer registers: {@code sluice.kinesis.consumer.name} if set, else
   * {@code sluice-<client id>-<8 random hex digits>}, fresh for each consumer so that two of them
   * never hold the same subscription (Kinesis allows one per stream consumer and shard).
   */
  static String standaloneName(KinesisSettings settings, String clientId) {
    if (settings.consumerName != null) {
      return settings.consumerName;
    }
    String client = clientId.replaceAll("[^a-zA-Z0-9_.-]", "-").toLowerCase(Locale.ROOT);
    if (client.length() > 100) {
      client = client.substring(0, 100);
    }
    return "sluice-" + client + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Finds or registers the stream consumer {@code name} of {@code stream}; waits for ACTIVE. */
  static FanOutRegistration acquire(KinesisAsyncClient kinesis, String stream, String name) {
    String streamArn =
        KinesisAdmin.join(kinesis.describeStreamSummary(b -> b.streamName(stream)))
            .streamDescriptionSummary()
            .streamARN();
    boolean[] registered = new boolean[1];
    try {
      return acquire(kinesis, stream, streamArn, name, registered);
    } catch (RuntimeException e) {
      if (registered[0]) {
        // Registered here but not handed over (closed or timed out while waiting): undo it,
        // also when close() interrupted the wait.
        boolean interrupted = Thread.interrupted();
        try {
          KinesisAdmin.join(
              kinesis.deregisterStreamConsumer(b -> b.streamARN(streamArn).consumerName(name)),
              DEREGISTER_LIMIT);
        } catch (RuntimeException again) {
          e.addSuppressed(again);
        } finally {
          if (interrupted) {
            Thread.currentThread().interrupt();
          }
        }
      }
      throw e;
    }
  }

  private static FanOutRegistration acquire(
      KinesisAsyncClient kinesis,
      String stream,
      String streamArn,
      String name,
      boolean[] registeredHere) {
    long deadline = System.nanoTime() + ACTIVE_LIMIT.toNanos();
    boolean registered = false;
    long pause = 50;
    while (true) {
      ConsumerDescription found = describe(kinesis, streamArn, name);
      if (found == null && !registered) {
        try {
          Consumer made =
              KinesisAdmin.join(
                      kinesis.registerStreamConsumer(
                          b -> b.streamARN(streamArn).consumerName(name)))
                  .consumer();
          registered = true;
          registeredHere[0] = true;
          LOG.info("Registered stream consumer '{}' of '{}' for fan-out", name, stream);
          if (made.consumerStatus() == ConsumerStatus.ACTIVE) {
            return new FanOutRegistration(kinesis, stream, name, made.consumerARN(), true);
          }
        } catch (ResourceInUseException e) {
          // Registered by someone else meanwhile: theirs, reused as it is.
          LOG.debug("Stream consumer '{}' of '{}' appeared meanwhile: {}", name, stream, e);
        }
      } else if (found != null && found.consumerStatus() == ConsumerStatus.ACTIVE) {
        if (!registered) {
          LOG.info("Reusing stream consumer '{}' of '{}' for fan-out", name, stream);
        }
        return new FanOutRegistration(kinesis, stream, name, found.consumerARN(), registered);
      } else if (found == null) {
        // Registered here, then gone before it turned ACTIVE: someone deregistered it.
        throw new SluiceException(
            ErrorCode.UNAVAILABLE,
            "Stream consumer '" + name + "' of '" + stream + "' was deregistered while starting");
      }
      // CREATING (wait for ACTIVE) or DELETING (wait until gone, then register anew).
      if (System.nanoTime() > deadline) {
        throw new SluiceException(
            ErrorCode.TIMEOUT,
            "Stream consumer '"
                + name
                + "' of '"
                + stream
                + "' did not turn ACTIVE within "
                + ACTIVE_LIMIT
                + (found == null ? "" : " (it is " + found.consumerStatusAsString() + ")"));
      }
      sleep(pause);
      pause = Math.min(1_000, pause * 2);
    }
  }

  private static ConsumerDescription describe(
      KinesisAsyncClient kinesis, String streamArn, String name) {
    try {
      return KinesisAdmin.join(
              kinesis.describeStreamConsumer(b -> b.streamARN(streamArn).consumerName(name)))
          .consumerDescription();
    } catch (ResourceNotFoundException e) {
      return null;
    }
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while registering for fan-out", e);
    }
  }

  String consumerArn() {
    return consumerArn;
  }

  String name() {
    return name;
  }

  /** True if this registration created the stream consumer (and so deregisters it). */
  boolean registeredHere() {
    return registeredHere;
  }

  /** Deregisters the stream consumer if this registration created it; once. */
  synchronized void release() {
    if (released || !registeredHere) {
      released = true;
      return;
    }
    released = true;
    try {
      KinesisAdmin.join(
          kinesis.deregisterStreamConsumer(b -> b.consumerARN(consumerArn)), DEREGISTER_LIMIT);
      LOG.info("Deregistered stream consumer '{}' of '{}'", name, stream);
    } catch (RuntimeException e) {
      LOG.warn(
          "Deregistering stream consumer '{}' of '{}' failed; it stays registered (and billed)"
              + " until deregistered: {}",
          name,
          stream,
          e.toString());
    }
  }
}
