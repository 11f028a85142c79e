package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.spi.ConsumerDriver;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the marked checkpoints of a group consumer's shards to the backend: every checkpoint
 * interval on its own timer, and when the application asks ({@code commitCheckpoints}). Only what
 * the backend confirmed counts as committed, and only then is it counted in {@code
 * sluice.checkpoints}.
 *
 * <p>Separate from the consumer as Kafka's commit manager is: the timer, the driver call and the
 * bookkeeping of its answer are one job. Checkpoints written when shards are given up go through
 * {@code DeliverySink.revoked} instead, and are not this class's.
 */
final class CheckpointCommitter {
  /** The consumer's logger: what a consumer logs keeps one logger name, as before the split. */
  private static final Logger LOG = LoggerFactory.getLogger(DefaultConsumer.class);

  private final ConsumerDriver driver;
  private final SluiceRuntime runtime;
  private final boolean group;
  private final String clientId;
  private final SluiceMetrics.@Nullable ConsumerMeters meters;
  private final Supplier<Collection<OwnedShard>> owned;
  private final BooleanSupplier closing;
  private final ScheduledExecutorService timer;

  /**
   * Held from taking the checkpoints to commit until the driver has them, and by {@link
   * #exclusive}: a seek's change is either before a commit's snapshot or after its hand-over.
   */
  private final Object order = new Object();

  /**
   * @param owned the shards owned now
   * @param closing true once the consumer closes (a failed commit is then not worth a warning)
   */
  CheckpointCommitter(
      ConsumerSettings<?, ?> settings,
      ConsumerDriver driver,
      SluiceRuntime runtime,
      SluiceMetrics.@Nullable ConsumerMeters meters,
      Supplier<Collection<OwnedShard>> owned,
      BooleanSupplier closing,
      String clientId) {
    this.driver = driver;
    this.runtime = runtime;
    this.group = settings.group() != null;
    this.clientId = clientId;
    this.meters = meters;
    this.owned = owned;
    this.closing = closing;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(DefaultConsumer.threads(clientId + "-timer"));
  }

  /** Starts the periodic commit (a group consumer only: a standalone one stores nothing). */
  void start(Duration interval) {
    if (group) {
      long millis = interval.toMillis();
      timer.scheduleWithFixedDelay(this::commitQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }
  }

  /** Stops the periodic commit for good, interrupting one in progress. */
  void stop() {
    timer.shutdownNow();
  }

  /**
   * Writes the checkpoints marked and not yet committed; the future completes when the backend
   * stored them (at once if there are none, or for a standalone consumer).
   */
  CompletableFuture<Void> commit() {
    if (!group) {
      return CompletableFuture.completedFuture(null);
    }
    Map<Shard, Position> pending = new TreeMap<>();
    Map<OwnedShard, CheckpointTracker.ToCommit> written = new HashMap<>();
    CompletableFuture<Void> stored;
    synchronized (order) {
      for (OwnedShard shard : owned.get()) {
        CheckpointTracker.ToCommit c = shard.checkpoints.toCommit();
        if (c != null) {
          pending.put(shard.shard, c.position());
          written.put(shard, c);
        }
      }
      if (pending.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      try {
        stored = driver.commit(pending);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(runtime.translate(e));
      }
    }
    return stored.handle(
        (ok, error) -> {
          if (error != null) {
            if (meters != null) {
              meters.checkpointFailures.increment();
            }
            throw runtime.translate(error);
          }
          if (meters != null) {
            meters.checkpoints.increment(pending.size());
          }
          written.forEach((shard, c) -> shard.checkpoints.committed(c));
          return null;
        });
  }

  /**
   * Runs {@code call} between commits: a commit whose checkpoints were taken before it has reached
   * the driver, and one after it takes them afresh. A seek holds its shard's checkpoint back here
   * ({@link CheckpointTracker#seeking}) and asks the driver to store the new position, which the
   * driver then stores after every checkpoint of the shard it was given before.
   */
  <T> T exclusive(Supplier<T> call) {
    synchronized (order) {
      return call.get();
    }
  }

  /** The timer's commit: a failure is logged (unless closing) and retried on the next tick. */
  private void commitQuietly() {
    try {
      commit()
          .whenComplete(
              (ok, e) -> {
                if (e != null && !closing.getAsBoolean()) {
                  LOG.warn(
                      "{}: writing checkpoints failed; will retry: {}", clientId, e.getMessage());
                }
              });
    } catch (RuntimeException e) {
      LOG.warn("{}: writing checkpoints failed; will retry", clientId, e);
    }
  }
}
