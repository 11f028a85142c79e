package dev.sluice.kinesis.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntToLongFunction;

/**
 * The records a {@link RecordBatcher} has routed to one shard, oldest first, and that shard's one
 * {@code PutRecords} call: at most one is in flight per shard, over the records at the head of the
 * queue, so a retry goes out before anything queued after it (entries of the failed call stored
 * behind the failed one go again too: their early copies stay in the stream).
 *
 * <p>Guarded by the batcher's lock; it holds no lock of its own and calls nothing out.
 */
final class ShardSendQueue {
  static final int MAX_RECORDS_PER_CALL = 500;
  static final int MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

  final Shard shard;
  private final ArrayDeque<PendingRecord> queue = new ArrayDeque<>();

  /** Records at the head in the call in flight; 0 when none is. */
  private int sending;

  /** Calls in a row that left records to retry; 0 after one that left none. */
  private int attempts;

  private long retryAtNanos;

  ShardSendQueue(Shard shard) {
    this.shard = shard;
  }

  void add(PendingRecord p) {
    queue.add(p);
  }

  boolean isSending() {
    return sending > 0;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** The oldest record waiting; the queue is not empty. */
  PendingRecord head() {
    return queue.peek();
  }

  int size() {
    return queue.size();
  }

  /** True if the queue holds records to retry (then it is sent without lingering). */
  boolean retrying() {
    return attempts > 0;
  }

  /** When the next retry may go out; 0 if none waits. */
  long retryAtNanos() {
    return retryAtNanos;
  }

  /** Moves every record waiting, in order, to {@code into}. */
  void drainTo(Collection<PendingRecord> into) {
    into.addAll(queue);
    queue.clear();
  }

  /**
   * Takes head records past their deadline: a record an earlier attempt stored (and that was being
   * sent again behind a failed one) is confirmed where it was stored, any other fails with {@code
   * timeoutError}. Adds the callbacks to run to {@code outcomes}.
   */
  void expireHead(
      long now, List<Runnable> outcomes, Function<PendingRecord, Throwable> timeoutError) {
    while (!queue.isEmpty() && now >= queue.peek().deadlineNanos) {
      PendingRecord p = queue.poll();
      if (p.storedShard != null) {
        Shard s = p.storedShard;
        Position pos = p.storedPosition;
        outcomes.add(() -> p.sent(s, pos));
      } else {
        Throwable error = timeoutError.apply(p);
        outcomes.add(() -> p.fail(error));
      }
    }
  }

  /** True if at least a full call's worth of bytes waits. */
  boolean fullCallOfBytes() {
    long bytes = 0;
    for (PendingRecord p : queue) {
      bytes += p.size;
      if (bytes >= MAX_BYTES_PER_CALL) {
        return true;
      }
    }
    return false;
  }

  /**
   * The oldest records, up to one call's limits, now in flight, as the call's entries: each record
   * on its own, or with aggregation ({@code maxAggregateBytes > 0}) packed into KPL aggregates.
   */
  List<PutEntry> takeBatch(int maxAggregateBytes) {
    List<PutEntry> batch =
        PutEntry.pack(queue, maxAggregateBytes, MAX_RECORDS_PER_CALL, MAX_BYTES_PER_CALL);
    sending = 0;
    for (PutEntry put : batch) {
      sending += put.members.size();
    }
    return batch;
  }

  /**
   * The call in flight ended: its records leave the queue, and {@code retry} (some of them, in
   * their order) goes back to its head, to go again after {@code backoffNanos} of the number of
   * calls in a row that left records to retry.
   */
  void callEnded(List<PendingRecord> retry, long now, IntToLongFunction backoffNanos) {
    for (int i = 0; i < sending; i++) {
      queue.poll();
    }
    sending = 0;
    for (int i = retry.size() - 1; i >= 0; i--) {
      queue.addFirst(retry.get(i));
    }
    if (retry.isEmpty()) {
      attempts = 0;
      retryAtNanos = 0;
    } else {
      attempts++;
      retryAtNanos = now + backoffNanos.applyAsLong(attempts);
    }
  }
}
