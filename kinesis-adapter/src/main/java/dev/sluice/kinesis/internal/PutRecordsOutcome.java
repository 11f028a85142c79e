package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
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
 * deadline has passed. An entry is stored or fails whole: every record of a KPL aggregate shares
 * its outcome (each at its own subsequence number when stored).
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
   * Sorts the records of a call to {@code shard} of {@code stream} that ended at {@code now} with
   * this response or error. An aggregate that landed on another shard is noted in {@code landed}
   * and its records go again (routing may confirm them where they landed).
   */
  static PutRecordsOutcome of(
      String stream,
      Shard shard,
      List<PutEntry> batch,
      @Nullable PutRecordsResponse response,
      @Nullable Throwable error,
      long now,
      LandedAggregates landed) {
    PutRecordsOutcome out = new PutRecordsOutcome();
    if (error != null) {
      out.callFailed(batch, KinesisErrors.unwrap(error), now);
    } else {
      out.answered(stream, shard, batch, response.records(), now, landed);
    }
    return out;
  }

  private void callFailed(List<PutEntry> batch, Throwable cause, long now) {
    boolean retryable = KinesisErrors.isRetryable(cause);
    for (PutEntry put : batch) {
      for (PendingRecord p : put.members) {
        if (retryable && now < p.deadlineNanos) {
          p.lastError = cause;
          retry.add(p);
        } else {
          callbacks.add(() -> p.fail(cause));
        }
      }
    }
    if (!retryable) {
      finalCallError = cause;
    }
  }

  private void answered(
      String stream,
      Shard shard,
      List<PutEntry> batch,
      List<PutRecordsResultEntry> results,
      long now,
      LandedAggregates landedAggregates) {
    boolean resending = false;
    for (int i = 0; i < batch.size(); i++) {
      PutEntry put = batch.get(i);
      PutRecordsResultEntry result = i < results.size() ? results.get(i) : null;
      Throwable cause = null;
      if (result != null && result.errorCode() == null) {
        Shard landed = Shard.of(result.shardId());
        if (!landed.equals(shard)) {
          mapStale = true;
          if (put.aggregated) {
            // Readers of that shard drop the records whose hash key it does not cover: all of them
            // go again, and routing confirms them where they landed if none is dropped.
            landedAggregates.landed(put.members, landed, result.sequenceNumber());
            cause =
                new SluiceException(
                    ErrorCode.UNAVAILABLE,
                    "Stream '"
                        + stream
                        + "' was resharded while an aggregate for shard "
                        + shard
                        + " was sent; it landed on "
                        + landed);
          }
        }
        for (int j = 0; cause == null && j < put.members.size(); j++) {
          PendingRecord p = put.members.get(j);
          Position position =
              put.aggregated
                  ? Position.of(result.sequenceNumber(), j)
                  : Position.of(result.sequenceNumber());
          if (resending) {
            p.storedShard = landed;
            p.storedPosition = position;
            retry.add(p);
            storedAgain++;
          } else {
            callbacks.add(() -> p.sent(landed, position));
          }
        }
        if (cause == null) {
          continue;
        }
      } else {
        cause =
            result == null
                ? new IllegalStateException("PutRecords returned fewer results than records")
                : KinesisErrors.recordError(result.errorCode(), result.errorMessage());
      }
      // The whole Kinesis record (all of an aggregate) goes again, and from here on in order.
      for (PendingRecord p : put.members) {
        Throwable why = cause;
        if (!KinesisErrors.isRetryable(why) || now >= p.deadlineNanos) {
          callbacks.add(() -> p.fail(why));
        } else {
          p.lastError = why;
          resending = true;
          retry.add(p);
        }
      }
    }
  }
}
