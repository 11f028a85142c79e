package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.HashRouting;
import dev.sluice.spi.SendCallback;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * The batcher against an in-process fake of PutRecords that throttles and partly fails, which the
 * emulator never does.
 */
@DisplayName("The PutRecords batcher")
class RecordBatcherTest {
  private static final ScheduledExecutorService ASYNC = Executors.newScheduledThreadPool(2);

  private final List<RecordBatcher> batchers = new ArrayList<>();

  @AfterEach
  void close() {
    batchers.forEach(b -> b.close(Duration.ofSeconds(1)));
  }

  /** Two shards; stores what it accepts per shard, fails records as told. */
  static final class FakeKinesis implements RecordBatcher.PutRecordsFunction {
    /** The open shards; {@link #reshard} closes them and opens new ones over the same keys. */
    volatile List<ShardMap.Entry> open = shards(0, 2);

    volatile List<ShardMap.Entry> closed = List.of();
    final Map<String, List<String>> stored = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger kinesisRecords = new AtomicInteger();
    final AtomicInteger oversized = new AtomicInteger();
    volatile int maxEntryBytes = 1024 * 1024;
    final Random random = new Random(3);
    volatile double recordFailureRate;
    volatile double callFailureRate;
    volatile boolean alwaysThrottle;
    private long sequence = 1000;

    ShardMap map() {
      List<ShardMap.Entry> entries = new ArrayList<>(closed);
      entries.addAll(open);
      return new ShardMap(entries);
    }

    private static List<ShardMap.Entry> shards(int firstId, int count) {
      List<ShardMap.Entry> entries = new ArrayList<>();
      List<HashKeyRange> ranges = HashRouting.evenRanges(count);
      for (int i = 0; i < count; i++) {
        entries.add(new ShardMap.Entry(Shard.of("shardId-" + (firstId + i)), ranges.get(i), true));
      }
      return entries;
    }

    /** Closes the open shards and spreads their keys over {@code count} new ones. */
    synchronized void reshard(int count) {
      List<ShardMap.Entry> nowClosed = new ArrayList<>(closed);
      for (ShardMap.Entry e : open) {
        nowClosed.add(new ShardMap.Entry(e.shard, e.range, false));
      }
      closed = nowClosed;
      open = shards(nowClosed.size(), count);
    }

    @Override
    public synchronized CompletableFuture<PutRecordsResponse> putRecords(
        PutRecordsRequest request) {
      calls.incrementAndGet();
      assertThat(request.records()).hasSizeLessThanOrEqualTo(500);
      CompletableFuture<PutRecordsResponse> future = new CompletableFuture<>();
      if (alwaysThrottle || random.nextDouble() < callFailureRate) {
        ASYNC.schedule(
            () ->
                future.completeExceptionally(
                    LimitExceededException.builder().message("slow down").build()),
            1,
            TimeUnit.MILLISECONDS);
        return future;
      }
      List<PutRecordsResultEntry> results = new ArrayList<>();
      int failed = 0;
      for (PutRecordsRequestEntry e : request.records()) {
        if (random.nextDouble() < recordFailureRate) {
          failed++;
          results.add(
              PutRecordsResultEntry.builder()
                  .errorCode(
                      random.nextBoolean()
                          ? "ProvisionedThroughputExceededException"
                          : "InternalFailure")
                  .errorMessage("Rate exceeded for shard")
                  .build());
          continue;
        }
        BigInteger hash =
            e.explicitHashKey() != null
                ? new BigInteger(e.explicitHashKey())
                : ShardMap.hashKey(e.partitionKey());
        ShardMap.Entry into = open.stream().filter(o -> o.range.contains(hash)).findFirst().get();
        String shard = into.shard.id();
        kinesisRecords.incrementAndGet();
        if (e.data().asByteArray().length + e.partitionKey().length() > maxEntryBytes) {
          oversized.incrementAndGet();
        }
        HashKeyRange range = into.range;
        // Read as the KCL does: an aggregate is split, keeping only records of this shard.
        List<KinesisClientRecord> read =
            new AggregatorUtil()
                .deaggregate(
                    List.of(
                        KinesisClientRecord.builder()
                            .partitionKey(e.partitionKey())
                            .explicitHashKey(e.explicitHashKey())
                            .data(e.data().asByteBuffer())
                            .sequenceNumber(Long.toString(sequence))
                            .build()),
                    range.start(),
                    range.end());
        for (KinesisClientRecord r : read) {
          stored
              .computeIfAbsent(shard, s -> new ArrayList<>())
              .add(r.partitionKey() + "=" + StandardCharsets.UTF_8.decode(r.data()));
        }
        results.add(
            PutRecordsResultEntry.builder()
                .shardId(shard)
                .sequenceNumber(Long.toString(sequence++))
                .build());
      }
      PutRecordsResponse response =
          PutRecordsResponse.builder().records(results).failedRecordCount(failed).build();
      ASYNC.schedule(() -> future.complete(response), 1, TimeUnit.MILLISECONDS);
      return future;
    }
  }

  /** Records the outcome of each send. */
  static final class Outcome implements SendCallback {
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicInteger calls = new AtomicInteger();
    volatile Shard shard;
    volatile Position position;
    volatile Throwable error;

    @Override
    public void sent(Shard s, Position p, long timestampMillis) {
      shard = s;
      position = p;
      calls.incrementAndGet();
      done.countDown();
    }

    @Override
    public void failed(Throwable e) {
      error = e;
      calls.incrementAndGet();
      done.countDown();
    }

    void await() throws InterruptedException {
      assertThat(done.await(30, TimeUnit.SECONDS)).as("callback called").isTrue();
    }
  }

  private RecordBatcher batcher(FakeKinesis fake, Duration linger, Duration deliveryTimeout) {
    return batcher(fake, linger, deliveryTimeout, 0);
  }

  private RecordBatcher batcher(
      FakeKinesis fake, Duration linger, Duration deliveryTimeout, int aggregationMaxBytes) {
    RecordBatcher b =
        new RecordBatcher(
            "s",
            fake,
            fake::map,
            new BatcherSettings(
                linger,
                deliveryTimeout,
                Duration.ofMillis(2),
                Duration.ofMillis(20),
                64L << 20,
                aggregationMaxBytes),
            "test-batcher");
    batchers.add(b);
    return b;
  }

  private static Record<byte[], byte[]> record(String key, String value) {
    return Record.of(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("concurrent sends within the linger time share one call")
  void batches() throws Exception {
    FakeKinesis fake = new FakeKinesis();
    RecordBatcher batcher = batcher(fake, Duration.ofMillis(50), Duration.ofSeconds(10));
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Outcome o = new Outcome();
      outcomes.add(o);
      batcher.send(record("k" + (i % 2), "v" + i), o);
    }
    batcher.flush();
    for (Outcome o : outcomes) {
      o.await();
      assertThat(o.error).isNull();
    }
    // One call per shard the keys land on.
    assertThat(fake.calls.get()).isLessThanOrEqualTo(2);
  }

  @Test
  @DisplayName("partial failures and throttled calls are retried without reordering any key")
  void retriesKeepKeyOrder() throws Exception {
    retriesKeepKeyOrder(0);
  }

  @Test
  @DisplayName(
      "aggregated: partial failures resend whole aggregates in order, every record read back once"
          + " per key order, each aggregate within its size and its shard")
  void aggregatedRetriesKeepKeyOrder() throws Exception {
    FakeKinesis fake = retriesKeepKeyOrder(2048);
    assertThat(fake.kinesisRecords.get()).as("Kinesis records put").isLessThan(2000 / 10);
  }

  private FakeKinesis retriesKeepKeyOrder(int aggregationMaxBytes) throws Exception {
    FakeKinesis fake = new FakeKinesis();
    fake.recordFailureRate = 0.05;
    fake.callFailureRate = 0.1;
    if (aggregationMaxBytes > 0) {
      fake.maxEntryBytes = aggregationMaxBytes;
    }
    RecordBatcher batcher =
        batcher(fake, Duration.ofMillis(2), Duration.ofSeconds(60), aggregationMaxBytes);
    int keys = 20;
    int records = 2000;
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      Outcome o = new Outcome();
      outcomes.add(o);
      batcher.send(record("key-" + (i % keys), Integer.toString(i)), o);
      if (i % 500 == 0) {
        Thread.sleep(1);
      }
    }
    batcher.flush();
    Map<Integer, Position> lastPosition = new HashMap<>();
    for (int i = 0; i < records; i++) {
      Outcome o = outcomes.get(i);
      o.await();
      assertThat(o.error).as("record %d", i).isNull();
      assertThat(o.calls.get()).isEqualTo(1);
      Position previous = lastPosition.put(i % keys, o.position);
      if (previous != null) {
        assertThat(o.position)
            .as("record %d after its key's previous one", i)
            .isGreaterThan(previous);
      }
    }
    // What the stream holds, read as a consumer would: the last copy of each record, per key,
    // comes in send order.
    for (List<String> shardLog : fake.stored.values()) {
      Map<String, Integer> lastIndex = new HashMap<>();
      for (int i = 0; i < shardLog.size(); i++) {
        lastIndex.put(shardLog.get(i), i);
      }
      Map<String, Integer> lastValuePerKey = new HashMap<>();
      for (int i = 0; i < shardLog.size(); i++) {
        String entry = shardLog.get(i);
        if (lastIndex.get(entry) != i) {
          continue; // an earlier copy of a record stored again later
        }
        String key = entry.substring(0, entry.indexOf('='));
        int value = Integer.parseInt(entry.substring(entry.indexOf('=') + 1));
        Integer before = lastValuePerKey.put(key, value);
        if (before != null) {
          assertThat(value).as("order of key %s", key).isGreaterThan(before);
        }
      }
    }
    long distinct = fake.stored.values().stream().flatMap(List::stream).distinct().count();
    assertThat(distinct).isEqualTo(records);
    assertThat(fake.oversized.get()).as("Kinesis records over the limit").isZero();
    return fake;
  }

  @Test
  @DisplayName(
      "aggregated across a split the producer does not know of yet: an aggregate built for the"
          + " closed parent lands on a child that does not cover all its records, readers drop it"
          + " whole (the KCL's rule), so all of it goes again; each record is read back once, in"
          + " key order")
  void aggregatesLandedOnAChildAreReadOnce() throws Exception {
    FakeKinesis fake = new FakeKinesis();
    fake.open = FakeKinesis.shards(0, 1);
    // Only flushes send: each half goes as one aggregate.
    RecordBatcher batcher =
        batcher(fake, Duration.ofSeconds(30), Duration.ofSeconds(60), 64 * 1024);
    int keys = 16;
    List<Outcome> outcomes = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      if (round == 5) {
        batcher.flush();
        fake.reshard(2); // the batcher's map still holds the one parent shard
      }
      for (int k = 0; k < keys; k++) {
        Outcome o = new Outcome();
        outcomes.add(o);
        sent.add("key-" + k + "=" + round);
        batcher.send(record("key-" + k, Integer.toString(round)), o);
      }
    }
    batcher.flush();
    ShardMap after = fake.map();
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome o = outcomes.get(i);
      o.await();
      assertThat(o.error).as("record %d", i).isNull();
      String key = sent.get(i).substring(0, sent.get(i).indexOf('='));
      if (i >= 5 * keys) {
        assertThat(after.get(o.shard).range.contains(ShardMap.hashKey(key)))
            .as("record %d is where its key's readers read it", i)
            .isTrue();
      }
    }
    List<String> read = new ArrayList<>();
    Map<String, List<Integer>> perKey = new HashMap<>();
    // Parents before children, as a group reads them.
    for (List<String> shardLog : new TreeMap<>(fake.stored).values()) {
      for (String entry : shardLog) {
        read.add(entry);
        perKey
            .computeIfAbsent(entry.substring(0, entry.indexOf('=')), x -> new ArrayList<>())
            .add(Integer.parseInt(entry.substring(entry.indexOf('=') + 1)));
      }
    }
    assertThat(read).as("records read, each once").containsExactlyInAnyOrderElementsOf(sent);
    perKey.values().forEach(rounds -> assertThat(rounds).isSorted());
  }

  @Test
  @DisplayName(
      "aggregated: records sent within the linger time wait for it and fill aggregates up to the"
          + " configured size, none over it")
  void aggregatesFillUpToMaxBytesWithinLinger() throws Exception {
    FakeKinesis fake = new FakeKinesis();
    int maxBytes = 4096;
    fake.maxEntryBytes = maxBytes;
    Duration linger = Duration.ofMillis(400);
    RecordBatcher batcher = batcher(fake, linger, Duration.ofSeconds(60), maxBytes);
    int records = 400;
    String value = "v".repeat(90);
    List<Outcome> outcomes = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < records; i++) {
      Outcome o = new Outcome();
      outcomes.add(o);
      batcher.send(record("key-" + (i % 8), value + i), o);
    }
    long sentAll = System.nanoTime() - start;
    Thread.sleep(linger.toMillis() / 4);
    if (System.nanoTime() - start < linger.toNanos() && sentAll < linger.toNanos() / 2) {
      assertThat(fake.calls.get()).as("calls before the linger time").isZero();
    }
    for (Outcome o : outcomes) {
      o.await();
      assertThat(o.error).isNull();
    }
    long userBytes = 0;
    for (int i = 0; i < records; i++) {
      userBytes += ("key-" + (i % 8)).length() + value.length() + Integer.toString(i).length();
    }
    assertThat(fake.oversized.get()).as("Kinesis records over %d bytes", maxBytes).isZero();
    // Two shards, so at most two part-filled aggregates; the rest are filled to the size.
    assertThat(fake.kinesisRecords.get())
        .as("Kinesis records for %d bytes of user records", userBytes)
        .isLessThanOrEqualTo((int) (userBytes * 1.25 / maxBytes) + 2);
  }

  @Test
  @DisplayName("records throttled until the delivery timeout fail as THROTTLED, each once")
  void deliveryTimeout() throws Exception {
    FakeKinesis fake = new FakeKinesis();
    fake.alwaysThrottle = true;
    RecordBatcher batcher = batcher(fake, Duration.ZERO, Duration.ofMillis(300));
    List<Outcome> outcomes = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < 50; i++) {
      Outcome o = new Outcome();
      outcomes.add(o);
      batcher.send(record("k" + i, "v"), o);
    }
    for (Outcome o : outcomes) {
      o.await();
      assertThat(o.calls.get()).isEqualTo(1);
      SluiceException e = KinesisErrors.translate(o.error);
      assertThat(e.code()).isEqualTo(ErrorCode.THROTTLED);
      assertThat(e.isRetryable()).isTrue();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(fake.calls.get()).isGreaterThan(2);
  }

  @Test
  @DisplayName("records to a target shard go there; sends after close fail CLOSED")
  void targetAndClose() throws Exception {
    FakeKinesis fake = new FakeKinesis();
    RecordBatcher batcher = batcher(fake, Duration.ofMillis(1), Duration.ofSeconds(10));
    Outcome targeted = new Outcome();
    batcher.send(
        Record.<byte[], byte[]>builder(null, new byte[] {1}).shard(Shard.of("shardId-1")).build(),
        targeted);
    Outcome unknown = new Outcome();
    batcher.send(
        Record.<byte[], byte[]>builder(null, new byte[] {1}).shard(Shard.of("shardId-7")).build(),
        unknown);
    targeted.await();
    assertThat(targeted.shard).isEqualTo(Shard.of("shardId-1"));
    unknown.await();
    assertThat(KinesisErrors.translate(unknown.error).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    batcher.close(Duration.ofSeconds(1));
    Outcome late = new Outcome();
    batcher.send(record("k", "v"), late);
    late.await();
    assertThat(KinesisErrors.translate(late.error).code()).isEqualTo(ErrorCode.CLOSED);
  }

  @Test
  @DisplayName(
      "close while the shards cannot be listed (the SDK never answers): the record fails CLOSED and"
          + " the dispatcher thread ends")
  void closeWhileListingShards() throws Exception {
    FakeKinesis fake = new FakeKinesis();
    CountDownLatch listing = new CountDownLatch(1);
    RecordBatcher batcher =
        new RecordBatcher(
            "s",
            fake,
            () -> {
              listing.countDown();
              // What a ListShards call looks like when its client was closed mid-retry.
              return KinesisAdmin.join(new CompletableFuture<ShardMap>());
            },
            new BatcherSettings(
                Duration.ofMillis(1),
                Duration.ofSeconds(60),
                Duration.ofMillis(2),
                Duration.ofMillis(20),
                64L << 20),
            "never-listed-batcher");
    Outcome outcome = new Outcome();
    batcher.send(record("k", "v"), outcome);
    assertThat(listing.await(10, TimeUnit.SECONDS)).as("the dispatcher lists shards").isTrue();
    long start = System.nanoTime();
    batcher.close(Duration.ofMillis(100));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("close stops the listing at once, not after its 5 s wait for the thread")
        .isLessThan(Duration.ofSeconds(4));
    outcome.await();
    assertThat(KinesisErrors.translate(outcome.error).code()).isEqualTo(ErrorCode.CLOSED);
    assertThat(Thread.getAllStackTraces().keySet())
        .as("threads alive once close returned")
        .noneMatch(t -> t.getName().equals("never-listed-batcher"));
  }
}
