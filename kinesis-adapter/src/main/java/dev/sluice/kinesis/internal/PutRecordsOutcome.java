package dev.sluice.kinesis.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * What the end of one {@code PutRecords} call means for its records, in their order: which are
 * stored (their callbacks), which fail for good, and which go again. From the first record to retry
 * on, every record goes again, also those this call stored (an at-least-once duplicate), so that
 * for each key the copy the application is told about comes after every earlier record of that key.
 * A record fails instead of going again when its error is not worth retrying or its delivery
 * deadline has passed.
 *
 * <p>Separate from the batching so that the retry rules read in one place; it changes the records
 * it keeps ({@link PendingRecord#lastError}, where a duplicate was stored), so it runs under the
 * batcher's lock, and it calls nothing out: the callbacks are run by the batcher after.
 */
final class PutRecordsOutcome {
  /** The callbacks to run, outside the lock. */
  final List<Runnable> callbacks = new ArrayList<>();

  /** The records to send again, in their order. */
  final List<PendingRecord> retry = new ArrayList<>();

  /** A record landed in a shard the map did not route it to: the stream was resharded. */
  boolean mapStale;

  /** Records this call stored that go again behind a failed one. */
  int storedAgain;

  /** The whole call failed with an error not worth retrying (for the log); else null. */
  @Nullable Throwable finalCallError;

  private PutRecordsOutcome() {}

  /**
   * Sorts the records of a call to {@code shard} that ended at {@code now} with this response or
   * error.
   */
  static PutRecordsOutcome of(
      Shard shard,
      List<PendingRecord> batch,
      @Nullable PutRecordsResponse response,
      @Nullable Throwable error,
      long now) {
    PutRecordsOutcome out = new PutRecordsOutcome();
    if (error != null) {
      out.callFailed(batch, KinesisErrors.unwrap(error), now);
    } else {
      out.answered(shard, batch, response.records(), now);
    }
    return out;
  }

  private void callFailed(List<PendingRecord> batch, Throwable cause, long now) {
    boolean retryable = KinesisErrors.isRetryable(cause);
    for (PendingRecord p : batch) {
      if (retryable && now < p.deadlineNanos) {
        p.lastError = cause;
        retry.add(p);
      } else {
        callbacks.add(() -> p.fail(cause));
      }
    }
    if (!retryable) {
      finalCallError = cause;
    }
  }

  private void answered(
      Shard shard, List<PendingRecord> batch, List<PutRecordsResultEntry> results, long now) {
    boolean resending = false;
    for (int i = 0; i < batch.size(); i++) {
      PendingRecord p = batch.get(i);
      PutRecordsResultEntry result = i < results.size() ? results.get(i) : null;
      if (result != null && result.errorCode() == null) {
        Shard landed = Shard.of(result.shardId());
        Position position = Position.of(result.sequenceNumber());
        if (!landed.equals(shard)) {
          mapStale = true;
        }
        if (resending) {
          p.storedShard = landed;
          p.storedPosition = position;
          retry.add(p);
          storedAgain++;
        } else {
          callbacks.add(() -> p.sent(landed, position));
        }
      } else {
        Throwable cause =
            result == null
                ? new IllegalStateException("PutRecords returned fewer results than records")
                : KinesisErrors.recordError(result.errorCode(), result.errorMessage());
        if (!KinesisErrors.isRetryable(cause) || now >= p.deadlineNanos) {
          callbacks.add(() -> p.fail(cause));
        } else {
          p.lastError = cause;
          resending = true;
          retry.add(p);
        }
      }
    }
  }
}
