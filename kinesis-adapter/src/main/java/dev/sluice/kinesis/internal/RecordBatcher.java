package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.SendCallback;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * Packs sends into {@code PutRecords} calls and retries them without ever reordering a key.
 *
 * <p>Records are queued per destination shard ("lane", from the cached {@link ShardMap}), and each
 * lane has at most one call in flight. A lane's batch is its oldest records, up to 500 records and
 * 5 MiB, sent once it is full, its oldest record has waited the linger time, a flush or close asks,
 * or it is a retry. When a call partly fails, everything from the first record to retry onward
 * stays at the head of the lane and goes again, in order, after a backoff: records after it that
 * did get stored are stored again (an at-least-once duplicate) so that, for each key, the copy the
 * application is told about comes after every earlier record of that key. Records fail only when
 * the error is not worth retrying or their delivery timeout has passed; a throttled record then
 * fails as throttled.
 *
 * <p>When the shard map changes (a response names a shard the map did not predict, or an explicit
 * target shard is unknown), the batcher lets every call in flight finish, reloads the map and
 * re-queues the waiting records lane by lane in their order, so no key is ever in two lanes at
 * once.
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

  /** What the batcher needs to know; see the matching {@code sluice.kinesis.*} keys. */
  static final class Settings {
    final Duration linger;
    final Duration deliveryTimeout;
    final Duration backoff;
    final Duration backoffMax;
    final long bufferMaxBytes;

    /** The largest KPL aggregate, or 0 to send each record as its own Kinesis record. */
    final int aggregationMaxBytes;

    Settings(
        Duration linger,
        Duration deliveryTimeout,
        Duration backoff,
        Duration backoffMax,
        long bufferMaxBytes) {
      this(linger, deliveryTimeout, backoff, backoffMax, bufferMaxBytes, 0);
    }

    Settings(
        Duration linger,
        Duration deliveryTimeout,
        Duration backoff,
        Duration backoffMax,
        long bufferMaxBytes,
        int aggregationMaxBytes) {
      this.linger = linger;
      this.deliveryTimeout = deliveryTimeout;
      this.backoff = backoff;
      this.backoffMax = backoffMax;
      this.bufferMaxBytes = bufferMaxBytes;
      this.aggregationMaxBytes = aggregationMaxBytes;
    }
  }

  static final int MAX_RECORDS_PER_CALL = 500;
  static final int MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(RecordBatcher.class);
  private static final long MAP_RELOAD_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final String stream;
  private final PutRecordsFunction put;
  private final ShardMapLoader loader;
  private final Settings settings;
  private final Thread dispatcher;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Condition progress = lock.newCondition();

  // Guarded by lock.
  private final ArrayDeque<Pending> inbox = new ArrayDeque<>();
  private final Map<Shard, Lane> lanes = new HashMap<>();
  private final TreeSet<Long> outstanding = new TreeSet<>();

  /** Hash keys of records routed in the current pass over the inbox (see routeInbox). */
  private final Set<BigInteger> sentAgain = new HashSet<>();

  /** An aggregate landed on another shard: the next pass over the inbox sorts out its records. */
  private boolean confirming;

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

  RecordBatcher(
      String stream,
      PutRecordsFunction put,
      ShardMapLoader loader,
      Settings settings,
      String threadName) {
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
    Pending p;
    try {
      p = new Pending(record, callback, System.nanoTime() + settings.deliveryTimeout.toNanos());
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
    List<Pending> abandoned = new ArrayList<>();
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
      for (Lane lane : lanes.values()) {
        abandoned.addAll(lane.queue);
        lane.queue.clear();
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
    for (Pending p : abandoned) {
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
          for (Lane lane : lanes.values()) {
            nextWake = Math.min(nextWake, lane.dispatch(now, calls, failures));
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
    List<Pending> failed = new ArrayList<>();
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
        for (Pending p : inbox) {
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
    for (Pending p : failed) {
      p.fail(error);
    }
  }

  /** Puts every waiting record back through routing, lane by lane in order. Under lock. */
  private void requeueAll() {
    ArrayDeque<Pending> all = new ArrayDeque<>();
    for (Lane lane : lanes.values()) {
      all.addAll(lane.queue);
    }
    lanes.clear();
    all.addAll(inbox);
    inbox.clear();
    inbox.addAll(all);
  }

  private void expireInbox(long now, List<Runnable> failures) {
    Iterator<Pending> it = inbox.iterator();
    while (it.hasNext()) {
      Pending p = it.next();
      if (now >= p.deadlineNanos) {
        it.remove();
        Throwable error = timeoutError(p);
        failures.add(() -> p.fail(error));
      }
    }
  }

  /** Moves records from the inbox to their lanes. Under lock; map is loaded. */
  private void routeInbox(long now, List<Runnable> failures) {
    ShardMap current = map;
    while (!inbox.isEmpty()) {
      Pending p = inbox.peek();
      if (p.landed != null) {
        // Part of an aggregate that landed on another shard after a reshard: stored for good if
        // that shard covers every record of it and nothing earlier of this key is sent again.
        if (p.landed.readable(current) && !sentAgain.contains(p.hashKey())) {
          inbox.poll();
          Shard s = p.landed.shard;
          Position pos = p.landedPosition;
          failures.add(() -> p.sent(s, pos));
          continue;
        }
        p.landed = null;
        p.landedPosition = null;
      }
      if (confirming) {
        sentAgain.add(p.hashKey());
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
      lanes.computeIfAbsent(shard, Lane::new).queue.add(p);
    }
    sentAgain.clear();
    confirming = false;
  }

  /**
   * A record's callback has run: it no longer counts for flush, close or the buffer. Counting it
   * only now means flush returns after the callbacks of the records it waited for.
   */
  private void released(Pending p) {
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

  private Throwable timeoutError(Pending p) {
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

  // ------------------------------------------------------------------ lanes

  /** The records waiting for one shard, oldest first; the head {@code inFlight} ones are sent. */
  private final class Lane {
    final Shard shard;
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    int sending;
    int attempts;
    long retryAtNanos;

    Lane(Shard shard) {
      this.shard = shard;
    }

    /** Starts a call if the lane is ready; returns when to look again. Under lock. */
    long dispatch(long now, List<Runnable> calls, List<Runnable> failures) {
      if (sending > 0) {
        return Long.MAX_VALUE;
      }
      expireHead(now, failures);
      if (queue.isEmpty()) {
        return Long.MAX_VALUE;
      }
      if (now < retryAtNanos) {
        return retryAtNanos;
      }
      Pending head = queue.peek();
      long lingerUntil = head.queuedNanos + settings.linger.toNanos();
      boolean ready =
          closing
              || attempts > 0
              || head.seq <= flushUpTo
              || now >= lingerUntil
              // Aggregated, 500 records are a few Kinesis records: wait for the bytes or linger.
              || (settings.aggregationMaxBytes == 0 && queue.size() >= MAX_RECORDS_PER_CALL)
              || queuedBytesAtLeast(MAX_BYTES_PER_CALL);
      if (!ready) {
        return lingerUntil;
      }
      List<Put> batch = Put.pack(queue, settings.aggregationMaxBytes);
      for (Put put : batch) {
        sending += put.members.size();
      }
      inFlight++;
      List<PutRecordsRequestEntry> entries = new ArrayList<>(batch.size());
      for (Put put : batch) {
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
            call.whenComplete((response, error) -> completed(batch, response, error));
          });
      return Long.MAX_VALUE;
    }

    private boolean queuedBytesAtLeast(long limit) {
      long bytes = 0;
      for (Pending p : queue) {
        bytes += p.size;
        if (bytes >= limit) {
          return true;
        }
      }
      return false;
    }

    /** Fails (or, if stored by an earlier attempt, confirms) head records past their deadline. */
    private void expireHead(long now, List<Runnable> failures) {
      while (!queue.isEmpty() && now >= queue.peek().deadlineNanos) {
        Pending p = queue.poll();
        if (p.storedShard != null) {
          Shard s = p.storedShard;
          Position pos = p.storedPosition;
          failures.add(() -> p.sent(s, pos));
        } else {
          Throwable error = timeoutError(p);
          failures.add(() -> p.fail(error));
        }
      }
    }

    /** Handles a call's outcome. Runs on an SDK completion thread. */
    private void completed(
        List<Put> batch, @Nullable PutRecordsResponse response, @Nullable Throwable error) {
      List<Runnable> callbacks = new ArrayList<>();
      lock.lock();
      try {
        inFlight--;
        int polled = sending;
        sending = 0;
        if (stopped) {
          return; // close() has failed every record already
        }
        long now = System.nanoTime();
        List<Pending> keep = new ArrayList<>();
        if (error != null) {
          Throwable cause = KinesisErrors.unwrap(error);
          boolean retry = KinesisErrors.isRetryable(cause);
          for (Put put : batch) {
            for (Pending p : put.members) {
              if (retry && now < p.deadlineNanos) {
                p.lastError = cause;
                keep.add(p);
              } else {
                callbacks.add(() -> p.fail(cause));
              }
            }
          }
          if (!retry) {
            LOG.debug("PutRecords to '{}' failed: {}", stream, cause.toString());
          }
        } else {
          List<PutRecordsResultEntry> results = response.records();
          boolean resending = false;
          int duplicates = 0;
          for (int i = 0; i < batch.size(); i++) {
            Put put = batch.get(i);
            PutRecordsResultEntry result = i < results.size() ? results.get(i) : null;
            Throwable cause = null;
            if (result != null && result.errorCode() == null) {
              Shard landed = Shard.of(result.shardId());
              if (!landed.equals(shard)) {
                // The map is stale (the stream was resharded): reload before the next call.
                reloadMap = true;
                if (put.aggregated) {
                  // Readers of that shard drop the whole aggregate if it holds a record whose hash
                  // key the shard does not cover. Whether it does is known once the map is
                  // reloaded: routing then confirms it where it landed or sends it again.
                  Landed where = new Landed(landed, put.members);
                  for (int j = 0; j < put.members.size(); j++) {
                    Pending p = put.members.get(j);
                    p.landed = where;
                    p.landedPosition = Position.of(result.sequenceNumber(), j);
                  }
                  confirming = true;
                  // Readers of that shard drop the records whose hash key it does not cover: send
                  // them all again, re-aggregated for the shards that now hold their keys.
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
                Pending p = put.members.get(j);
                Position position = Position.of(result.sequenceNumber(), put.aggregated ? j : 0);
                if (resending) {
                  p.storedShard = landed;
                  p.storedPosition = position;
                  keep.add(p);
                  duplicates++;
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
            // The whole Kinesis record (all of an aggregate) goes again, from here on in order.
            for (Pending p : put.members) {
              Throwable why = cause;
              if (!KinesisErrors.isRetryable(why) || now >= p.deadlineNanos) {
                callbacks.add(() -> p.fail(why));
              } else {
                p.lastError = why;
                resending = true;
                keep.add(p);
              }
            }
          }
          if (duplicates > 0) {
            LOG.debug(
                "Resending {} stored record(s) to shard {} of '{}' behind a failed one, to keep"
                    + " key order",
                duplicates,
                shard,
                stream);
          }
        }
        for (int i = 0; i < polled; i++) {
          queue.poll();
        }
        for (int i = keep.size() - 1; i >= 0; i--) {
          queue.addFirst(keep.get(i));
        }
        if (keep.isEmpty()) {
          attempts = 0;
          retryAtNanos = 0;
        } else {
          attempts++;
          retryAtNanos = now + backoffNanos(attempts);
        }
        wake.signal();
        progress.signalAll();
      } finally {
        lock.unlock();
      }
      callbacks.forEach(Runnable::run);
    }
  }

  // ------------------------------------------------------------------ records

  /** An aggregate stored on a shard other than the one it was built for. */
  private static final class Landed {
    final Shard shard;
    final List<Pending> members;
    private @Nullable Boolean readable;

    Landed(Shard shard, List<Pending> members) {
      this.shard = shard;
      this.members = members;
    }

    /** Whether readers of that shard keep it: the shard covers every record's hash key. */
    boolean readable(ShardMap map) {
      if (readable == null) {
        ShardMap.Entry entry = map.get(shard);
        boolean all = entry != null;
        for (int i = 0; all && i < members.size(); i++) {
          all = entry.range.contains(members.get(i).hashKey());
        }
        readable = all;
      }
      return readable;
    }
  }

  /**
   * One entry of a PutRecords call: a record on its own, or several packed into a KPL aggregate
   * ({@link KplAggregate}). It succeeds or fails as a whole.
   */
  private static final class Put {
    final List<Pending> members;
    final boolean aggregated;
    final PutRecordsRequestEntry entry;
    final long size;

    private Put(Pending single) {
      this.members = List.of(single);
      this.aggregated = false;
      this.entry = single.entry();
      this.size = single.size;
    }

    private Put(List<Pending> members, KplAggregate aggregate) {
      this.members = members;
      this.aggregated = true;
      this.entry =
          PutRecordsRequestEntry.builder()
              .partitionKey(aggregate.partitionKey())
              .explicitHashKey(aggregate.hashKey().toString())
              .data(SdkBytes.fromByteArrayUnsafe(aggregate.toBytes()))
              .build();
      this.size = aggregate.size();
    }

    /**
     * The head of a lane's queue as one call's entries, at most 500 and 5 MiB, oldest first. With
     * aggregation ({@code maxAggregateBytes > 0}) consecutive records share aggregates of up to
     * that size; a record that would sit alone in one is sent as it is.
     */
    static List<Put> pack(Iterable<Pending> queue, int maxAggregateBytes) {
      List<Put> puts = new ArrayList<>();
      long bytes = 0;
      List<Pending> members = new ArrayList<>();
      KplAggregate aggregate = null;
      for (Pending p : queue) {
        if (maxAggregateBytes > 0) {
          if (aggregate == null) {
            aggregate = new KplAggregate(maxAggregateBytes);
          }
          if (aggregate.tryAdd(p.partitionKey, p.explicitHashKey, p.hashKey(), p.data)) {
            members.add(p);
            continue;
          }
        }
        Put done = maxAggregateBytes > 0 ? finish(members, aggregate) : new Put(p);
        if (puts.size() == MAX_RECORDS_PER_CALL
            || (!puts.isEmpty() && bytes + done.size > MAX_BYTES_PER_CALL)) {
          return puts;
        }
        puts.add(done);
        bytes += done.size;
        if (maxAggregateBytes > 0) {
          members = new ArrayList<>();
          aggregate = new KplAggregate(maxAggregateBytes);
          aggregate.tryAdd(p.partitionKey, p.explicitHashKey, p.hashKey(), p.data);
          members.add(p);
        }
      }
      if (!members.isEmpty()) {
        Put done = finish(members, aggregate);
        if (puts.size() < MAX_RECORDS_PER_CALL
            && (puts.isEmpty() || bytes + done.size <= MAX_BYTES_PER_CALL)) {
          puts.add(done);
        }
      }
      return puts;
    }

    private static Put finish(List<Pending> members, KplAggregate aggregate) {
      return members.size() == 1 ? new Put(members.get(0)) : new Put(members, aggregate);
    }
  }

  /** One record on its way; its callback fires once. */
  private final class Pending {
    final String partitionKey;
    final byte[] data;
    final int size;
    final @Nullable Shard target;
    final long deadlineNanos;
    final long queuedNanos;
    final long timestampMillis;
    private final SendCallback callback;
    @Nullable BigInteger explicitHashKey;
    long seq = -1;
    @Nullable Throwable lastError;
    @Nullable Shard storedShard;
    @Nullable Position storedPosition;

    /** Where its aggregate landed when that was not the shard it was built for; see routeInbox. */
    @Nullable Landed landed;

    @Nullable Position landedPosition;
    private boolean done;

    Pending(Record<byte[], byte[]> record, SendCallback callback, long deadlineNanos) {
      this.partitionKey = PartitionKeys.toPartitionKey(record.key());
      byte[] encoded = Envelope.encode(record.headers(), record.value(), record.timestampMillis());
      // A plain record's data is its value itself; the record waits here for its batch, and the
      // caller may reuse its array once send returns (as with Kafka and memory): keep a copy.
      this.data = encoded == record.value() ? encoded.clone() : encoded;
      this.timestampMillis = record.timestampMillis();
      this.size = data.length + partitionKey.getBytes(StandardCharsets.UTF_8).length;
      this.target = record.shard();
      this.callback = callback;
      this.deadlineNanos = deadlineNanos;
      this.queuedNanos = System.nanoTime();
      if (record.key() == null && record.shard() == null) {
        this.explicitHashKey = ShardMap.randomHashKey();
      }
    }

    BigInteger hashKey() {
      return explicitHashKey != null ? explicitHashKey : ShardMap.hashKey(partitionKey);
    }

    PutRecordsRequestEntry entry() {
      PutRecordsRequestEntry.Builder b =
          PutRecordsRequestEntry.builder()
              .partitionKey(partitionKey)
              .data(SdkBytes.fromByteArrayUnsafe(data));
      if (explicitHashKey != null) {
        b.explicitHashKey(explicitHashKey.toString());
      }
      return b.build();
    }

    /**
     * Reports the record stored, with its own timestamp if it had one (it travels in the envelope),
     * else none: Kinesis stamps the record on arrival and PutRecords does not say when that was.
     */
    void sent(Shard shard, Position position) {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
      }
      try {
        callback.sent(shard, position, timestampMillis);
      } catch (RuntimeException e) {
        LOG.warn("A send callback threw", e);
      } finally {
        released(this);
      }
    }

    void fail(Throwable error) {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
      }
      try {
        callback.failed(error);
      } catch (RuntimeException e) {
        LOG.warn("A send callback threw", e);
      } finally {
        released(this);
      }
    }
  }
}
