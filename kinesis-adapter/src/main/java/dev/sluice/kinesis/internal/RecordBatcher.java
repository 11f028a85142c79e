package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.WriteId;
import dev.sluice.spi.WriteIdChain;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * Packs sends into {@code PutRecords} calls and retries them so that the last copy of each key's
 * records stays in send order. An entry stored behind a failed one is sent again after it, so the
 * stream can hold an early copy of a later record before the earlier one (B, A, B): Kinesis does
 * not declare {@code ORDERED_RETRIES}.
 *
 * <p>Records are routed to their destination shard (from the cached {@link ShardMap}) and queued in
 * its {@link ShardSendQueue}, which has at most one call in flight. A call takes the queue's oldest
 * records, up to 500 records and 5 MiB, once that many wait, its oldest record has waited the
 * linger time, a flush or close asks, or it is a retry. When a call partly fails, everything from
 * the first record to retry onward stays at the head of the queue and goes again, in order, after a
 * backoff ({@link PutRecordsOutcome} has the rules). Records fail only when the error is not worth
 * retrying or their delivery timeout has passed; a throttled record then fails as throttled.
 *
 * <p>When the shard map changes (a response names a shard the map did not predict, or an explicit
 * target shard is unknown), the batcher lets every call in flight finish, reloads the map and
 * re-queues the waiting records shard by shard in their order, so no key is ever queued for two
 * shards at once.
 *
 * <p>With aggregation on, the records a call takes are packed into KPL aggregates, one shard's
 * records each ({@link PutEntry}); an aggregate is stored or goes again whole, and one that lands
 * on another shard after a reshard is sorted out by {@link LandedAggregates} when the map is
 * reloaded. Each record is encoded (with its write id, if on) when it is routed, before packing.
 *
 * <p>Everything runs on one dispatcher thread plus the SDK's completion threads; the lock is never
 * held while calling out (to AWS or to callbacks).
 */
final class RecordBatcher {
  /** PutRecords, as a function so that tests can fake partial failures and throttling. */
  @FunctionalInterface
  interface PutRecordsFunction {
    CompletableFuture<PutRecordsResponse> putRecords(PutRecordsRequest request);
  }

  /** Loads the stream's current shards; blocking, called on the dispatcher thread. */
  @FunctionalInterface
  interface ShardMapLoader {
    ShardMap load();
  }

  private static final Logger LOG = LoggerFactory.getLogger(RecordBatcher.class);
  private static final long MAP_RELOAD_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final String stream;
  private final PutRecordsFunction put;
  private final ShardMapLoader loader;
  private final BatcherSettings settings;
  private final Thread dispatcher;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Condition progress = lock.newCondition();

  // Guarded by lock.
  private final ArrayDeque<PendingRecord> inbox = new ArrayDeque<>();
  private final Map<Shard, ShardSendQueue> queues = new HashMap<>();
  private final TreeSet<Long> outstanding = new TreeSet<>();
  private final LandedAggregates landedAggregates = new LandedAggregates();
  private @Nullable ShardMap map;
  private long mapLoadedNanos;
  private boolean reloadMap;
  private long mapRetryAtNanos;
  private int mapAttempts;
  private int inFlight;
  private long bufferedBytes;
  private long nextSeq;
  private long flushUpTo = -1;
  private boolean closing;
  private boolean stopped;

  /** The dispatcher is in {@link #loadMap()}'s call to the loader (close interrupts it there). */
  private volatile boolean loadingMap;

  /** Gives records their write ids once their shard is known; null if write ids are off. */
  private final @Nullable WriteIdChain writeIds;

  RecordBatcher(
      String stream,
      PutRecordsFunction put,
      ShardMapLoader loader,
      BatcherSettings settings,
      String threadName) {
    this(stream, put, loader, settings, threadName, null);
  }

  RecordBatcher(
      String stream,
      PutRecordsFunction put,
      ShardMapLoader loader,
      BatcherSettings settings,
      String threadName,
      @Nullable WriteIdChain writeIds) {
    this.writeIds = writeIds;
    this.stream = stream;
    this.put = put;
    this.loader = loader;
    this.settings = settings;
    this.dispatcher = new Thread(this::dispatchLoop, threadName);
    dispatcher.setDaemon(true);
    dispatcher.start();
  }

  // ------------------------------------------------------------------ application threads

  /** Queues a record; its callback is called exactly once, from another thread. */
  void send(Record<byte[], byte[]> record, SendCallback callback) {
    send(record, null, callback);
  }

  /**
   * Queues a record named by {@code id} (null: one of this producer's own, if write ids are on).
   */
  void send(Record<byte[], byte[]> record, @Nullable WriteId id, SendCallback callback) {
    PendingRecord p;
    try {
      p =
          new PendingRecord(
              record,
              id,
              writeIds,
              callback,
              System.nanoTime() + settings.deliveryTimeout.toNanos(),
              this::released);
    } catch (RuntimeException e) {
      callback.failed(e);
      return;
    }
    SluiceException refused = null;
    lock.lock();
    try {
      while (!closing && bufferedBytes > 0 && bufferedBytes + p.size > settings.bufferMaxBytes) {
        long left = p.deadlineNanos - System.nanoTime();
        if (left <= 0) {
          refused =
              new SluiceException(
                  ErrorCode.TIMEOUT,
                  "The producer's buffer for '"
                      + stream
                      + "' stayed full ("
                      + settings.bufferMaxBytes
                      + " bytes) for the whole delivery timeout");
          break;
        }
        progress.awaitNanos(left);
      }
      if (refused == null && closing) {
        refused =
            new SluiceException(
                ErrorCode.CLOSED, "The producer for stream '" + stream + "' is closed");
      }
      if (refused == null) {
        p.seq = nextSeq++;
        outstanding.add(p.seq);
        bufferedBytes += p.size;
        inbox.add(p);
        wake.signal();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      refused = new SluiceException(ErrorCode.CLOSED, "Interrupted while the buffer was full", e);
    } finally {
      lock.unlock();
    }
    if (refused != null) {
      p.fail(refused);
    }
  }

  /** Blocks until every record queued before the call has been stored or failed. */
  void flush() throws InterruptedException {
    lock.lockInterruptibly();
    try {
      long target = nextSeq - 1;
      flushUpTo = Math.max(flushUpTo, target);
      wake.signal();
      while (!outstanding.isEmpty() && outstanding.first() <= target) {
        progress.await();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Refuses new sends, sends what is queued for up to {@code timeout}, then fails whatever is left
   * with {@code CLOSED}.
   */
  void close(Duration timeout) {
    List<PendingRecord> abandoned = new ArrayList<>();
    lock.lock();
    try {
      closing = true;
      flushUpTo = nextSeq - 1;
      wake.signal();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!outstanding.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        progress.awaitNanos(left);
      }
      abandoned.addAll(inbox);
      inbox.clear();
      for (ShardSendQueue queue : queues.values()) {
        queue.drainTo(abandoned);
      }
      outstanding.clear();
      stopped = true;
      wake.signal();
      progress.signalAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    if (!abandoned.isEmpty()) {
      LOG.warn(
          "Producer for '{}' closed with {} record(s) not sent within {}",
          stream,
          abandoned.size(),
          timeout);
    }
    SluiceException closed =
        new SluiceException(
            ErrorCode.CLOSED,
            "The producer for stream '" + stream + "' was closed before the record was sent");
    for (PendingRecord p : abandoned) {
      p.fail(closed);
    }
    // Every record has its outcome now; the dispatcher has nothing left to do. If it is listing
    // shards it would wait for the SDK's retries, and forever if the client is closed meanwhile
    // (the SDK drops a retry scheduled on a closed client): stop it waiting.
    if (Thread.currentThread() == dispatcher) {
      return; // A send's callback closed the producer: the loop ends when the callback returns.
    }
    if (loadingMap) {
      dispatcher.interrupt();
    }
    try {
      dispatcher.join(TimeUnit.SECONDS.toMillis(5));
      if (dispatcher.isAlive()) {
        dispatcher.interrupt();
        dispatcher.join(TimeUnit.SECONDS.toMillis(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (dispatcher.isAlive()) {
      LOG.warn("The producer for '{}' closed but its dispatcher thread has not ended", stream);
    }
  }

  // ------------------------------------------------------------------ dispatcher thread

  private void dispatchLoop() {
    while (true) {
      List<Runnable> calls = new ArrayList<>();
      List<Runnable> failures = new ArrayList<>();
      boolean load = false;
      lock.lock();
      try {
        if (stopped) {
          return;
        }
        long now = System.nanoTime();
        long nextWake = Long.MAX_VALUE;
        if ((map == null || reloadMap) && (!inbox.isEmpty() || reloadMap)) {
          if (inFlight == 0 && now >= mapRetryAtNanos) {
            load = true;
          } else if (inFlight == 0) {
            nextWake = mapRetryAtNanos;
          }
          expireInbox(now, failures);
        }
        if (!load && map != null && !reloadMap) {
          routeInbox(now, failures);
          for (ShardSendQueue queue : queues.values()) {
            nextWake = Math.min(nextWake, dispatch(queue, now, calls, failures));
          }
        }
        if (!load && calls.isEmpty() && failures.isEmpty()) {
          long waitNanos =
              nextWake == Long.MAX_VALUE ? TimeUnit.SECONDS.toNanos(1) : nextWake - now;
          if (waitNanos > 0) {
            wake.awaitNanos(waitNanos);
          }
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      failures.forEach(Runnable::run);
      calls.forEach(Runnable::run);
      if (load) {
        loadMap();
      }
    }
  }

  private void loadMap() {
    ShardMap loaded = null;
    RuntimeException error = null;
    loadingMap = true;
    lock.lock();
    try {
      // close() sets stopped, then interrupts if loadingMap is set: one of the two sees the other.
      if (stopped) {
        loadingMap = false;
        return;
      }
    } finally {
      lock.unlock();
    }
    try {
      loaded = loader.load();
    } catch (RuntimeException e) {
      error = e;
    } finally {
      loadingMap = false;
    }
    List<PendingRecord> failed = new ArrayList<>();
    lock.lock();
    try {
      if (loaded != null) {
        map = loaded;
        mapLoadedNanos = System.nanoTime();
        // However often routing asks, ListShards runs at most every MAP_RELOAD_MIN_NANOS.
        mapRetryAtNanos = mapLoadedNanos + MAP_RELOAD_MIN_NANOS;
        reloadMap = false;
        mapAttempts = 0;
        requeueAll();
      } else if (map != null) {
        LOG.warn(
            "Refreshing the shards of '{}' failed; keeping the previous map: {}",
            stream,
            error.toString());
        reloadMap = false;
      } else if (KinesisErrors.isRetryable(error)) {
        mapAttempts++;
        mapRetryAtNanos = System.nanoTime() + backoffNanos(mapAttempts);
        LOG.debug("Listing the shards of '{}' failed; will retry: {}", stream, error.toString());
        for (PendingRecord p : inbox) {
          p.lastError = error;
        }
      } else {
        failed.addAll(inbox);
        inbox.clear();
      }
      progress.signalAll();
    } finally {
      lock.unlock();
    }
    for (PendingRecord p : failed) {
      p.fail(error);
    }
  }

  /** Puts every waiting record back through routing, shard by shard in order. Under lock. */
  private void requeueAll() {
    ArrayDeque<PendingRecord> all = new ArrayDeque<>();
    for (ShardSendQueue queue : queues.values()) {
      queue.drainTo(all);
    }
    queues.clear();
    all.addAll(inbox);
    inbox.clear();
    inbox.addAll(all);
  }

  private void expireInbox(long now, List<Runnable> failures) {
    Iterator<PendingRecord> it = inbox.iterator();
    while (it.hasNext()) {
      PendingRecord p = it.next();
      if (now >= p.deadlineNanos) {
        it.remove();
        Throwable error = timeoutError(p);
        failures.add(() -> p.fail(error));
      }
    }
  }

  /** Moves records from the inbox to their shards' queues. Under lock; map is loaded. */
  private void routeInbox(long now, List<Runnable> failures) {
    ShardMap current = map;
    while (!inbox.isEmpty()) {
      PendingRecord p = inbox.peek();
      if (landedAggregates.confirmed(p, current, failures)) {
        inbox.poll();
        continue;
      }
      Shard shard;
      if (p.target != null) {
        ShardMap.Entry entry = current.get(p.target);
        if (entry == null) {
          if (now - mapLoadedNanos >= MAP_RELOAD_MIN_NANOS) {
            reloadMap = true;
            wake.signal();
            return;
          }
          inbox.poll();
          SluiceException error =
              new SluiceException(
                  ErrorCode.INVALID_ARGUMENT,
                  "Stream '" + stream + "' has no shard " + p.target + " to send to");
          failures.add(() -> p.fail(error));
          continue;
        }
        if (!entry.open) {
          inbox.poll();
          SluiceException error =
              new SluiceException(
                  ErrorCode.INVALID_ARGUMENT,
                  "Shard "
                      + p.target
                      + " of '"
                      + stream
                      + "' is closed (split or merged away); send to an open shard");
          failures.add(() -> p.fail(error));
          continue;
        }
        p.explicitHashKey = entry.range.start();
        shard = entry.shard;
      } else {
        shard = current.route(p.hashKey());
        if (shard == null) {
          reloadMap = true;
          wake.signal();
          return;
        }
      }
      inbox.poll();
      if (p.data == null) {
        // Write ids follow the order records enter their shard's queue, the order they are sent.
        p.encodeFor(shard, writeIds);
      }
      queues.computeIfAbsent(shard, ShardSendQueue::new).add(p);
    }
    landedAggregates.passEnded();
  }

  /**
   * A record's callback has run: it no longer counts for flush, close or the buffer. Counting it
   * only now means flush returns after the callbacks of the records it waited for.
   */
  private void released(PendingRecord p) {
    if (p.seq < 0) {
      return;
    }
    lock.lock();
    try {
      if (outstanding.remove(p.seq)) {
        bufferedBytes -= p.size;
      }
      progress.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private Throwable timeoutError(PendingRecord p) {
    if (p.lastError != null) {
      return p.lastError;
    }
    return new SluiceException(
        ErrorCode.TIMEOUT,
        "The record was not sent to '"
            + stream
            + "' within the delivery timeout of "
            + settings.deliveryTimeout.toMillis()
            + " ms");
  }

  private long backoffNanos(int attempts) {
    long base = settings.backoff.toNanos();
    long max = settings.backoffMax.toNanos();
    long delay = base << Math.min(attempts - 1, 20);
    if (delay <= 0 || delay > max) {
      delay = max;
    }
    // Equal jitter: callers throttled together do not retry in lockstep.
    return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
  }

  // ------------------------------------------------------------------ calls

  /** Starts a call for the shard's queue if it is ready; returns when to look again. Under lock. */
  private long dispatch(
      ShardSendQueue queue, long now, List<Runnable> calls, List<Runnable> failures) {
    if (queue.isSending()) {
      return Long.MAX_VALUE;
    }
    queue.expireHead(now, failures, this::timeoutError);
    if (queue.isEmpty()) {
      return Long.MAX_VALUE;
    }
    if (now < queue.retryAtNanos()) {
      return queue.retryAtNanos();
    }
    PendingRecord head = queue.head();
    long lingerUntil = head.queuedNanos + settings.linger.toNanos();
    boolean ready =
        closing
            || queue.retrying()
            || head.seq <= flushUpTo
            || now >= lingerUntil
            // Aggregated, 500 records are a few Kinesis records: wait for the bytes or linger.
            || (settings.aggregationMaxBytes == 0
                && queue.size() >= ShardSendQueue.MAX_RECORDS_PER_CALL)
            || queue.fullCallOfBytes();
    if (!ready) {
      return lingerUntil;
    }
    List<PutEntry> batch = queue.takeBatch(settings.aggregationMaxBytes);
    inFlight++;
    List<PutRecordsRequestEntry> entries = new ArrayList<>(batch.size());
    for (PutEntry put : batch) {
      entries.add(put.entry);
    }
    PutRecordsRequest request =
        PutRecordsRequest.builder().streamName(stream).records(entries).build();
    calls.add(
        () -> {
          CompletableFuture<PutRecordsResponse> call;
          try {
            call = put.putRecords(request);
          } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
          }
          call.whenComplete((response, error) -> completed(queue, batch, response, error));
        });
    return Long.MAX_VALUE;
  }

  /** Handles a call's outcome. Runs on an SDK completion thread. */
  private void completed(
      ShardSendQueue queue,
      List<PutEntry> batch,
      @Nullable PutRecordsResponse response,
      @Nullable Throwable error) {
    PutRecordsOutcome outcome;
    lock.lock();
    try {
      inFlight--;
      if (stopped) {
        return; // close() has failed every record already
      }
      long now = System.nanoTime();
      outcome =
          PutRecordsOutcome.of(stream, queue.shard, batch, response, error, now, landedAggregates);
      if (outcome.mapStale) {
        reloadMap = true; // reload before the next call
      }
      if (outcome.finalCallError != null) {
        LOG.debug("PutRecords to '{}' failed: {}", stream, outcome.finalCallError.toString());
      }
      if (outcome.storedAgain > 0) {
        LOG.debug(
            "Resending {} stored record(s) to shard {} of '{}' behind a failed one, to keep key"
                + " order",
            outcome.storedAgain,
            queue.shard,
            stream);
      }
      queue.callEnded(outcome.retry, now, this::backoffNanos);
      wake.signal();
      progress.signalAll();
    } finally {
      lock.unlock();
    }
    outcome.callbacks.forEach(Runnable::run);
  }
}
