package dev.sluice;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A running consume → transform → produce stage, made by {@link ProcessorBuilder#start}: it reads
 * its input stream as a member of its group, calls its function for each record and writes the
 * outputs, with the {@link ProcessingGuarantee} it was built with.
 *
 * <p>It recovers by itself from what a restart cures (a fenced transaction, a lost connection, a
 * failed commit): the open transaction is aborted, or the unacknowledged outputs dropped, and it
 * rejoins its group and processes its uncommitted input again. It stops on what a restart would not
 * cure (a handler failing past its policy, a missing stream): {@link #termination()} says why.
 */
public interface Processor extends AutoCloseable {
  /**
   * The input stream.
   *
   * @return the input stream
   */
  String stream();

  /**
   * The consumer group the processor reads its input in.
   *
   * @return the consumer group the processor reads its input in
   */
  String group();

  /**
   * The guarantee this processor runs with.
   *
   * @return the processing guarantee
   */
  ProcessingGuarantee guarantee();

  /**
   * The input shards this member processes now.
   *
   * @return the input shards this member processes now
   */
  Set<Shard> assignment();

  /**
   * Completes when the processor has stopped: normally after {@link #close()}, exceptionally with a
   * {@link SluiceException} when it stopped on its own.
   *
   * @return a future that completes when it is done
   */
  CompletableFuture<Void> termination();

  /**
   * Waits for the processor to stop; true if it stopped within the timeout.
   *
   * @param timeout how long to wait at most
   * @return true if it stopped within the timeout
   */
  default boolean awaitTermination(Duration timeout) {
    dev.sluice.internal.Validation.notNull(timeout, "timeout");
    try {
      termination().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  /**
   * Stops: the function calls in progress finish, what they produced is committed with their input
   * checkpoints (or, at least once, checkpointed as far as acknowledged), and the input shards are
   * given up for the group's other members.
   */
  @Override
  void close();
}
