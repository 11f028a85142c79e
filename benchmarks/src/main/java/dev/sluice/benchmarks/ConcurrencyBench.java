package dev.sluice.benchmarks;

import dev.sluice.Consumer;
import dev.sluice.Ordering;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * {@code concurrency(n, Ordering.PER_KEY)} against one record at a time: a stream of 4 shards, a
 * handler that sleeps 5 ms per record (a database write, an HTTP call), concurrency 1, 64 and 256,
 * on the memory and Kafka backends, and Confluent's parallel-consumer on Kafka with the same
 * handler and concurrency ({@link ParallelConsumerRun}).
 *
 * <ul>
 *   <li>records/s: from the first handler call to the last handler return (group join excluded);
 *   <li>handler-to-checkpoint lag: from a handler's return until the consumer's checkpointable
 *       position of the shard (the completed prefix, {@code Consumer.processedPositions()}, sampled
 *       every millisecond) covers the record. Writing it to the backend follows within the
 *       checkpoint interval.
 * </ul>
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -cp 'benchmarks/target/classes:benchmarks/target/lib/*' dev.sluice.benchmarks.ConcurrencyBench
 * </pre>
 */
public final class ConcurrencyBench {
  static final int SHARDS = 4;
  static final int KEYS = 10_000;
  static final long HANDLER_MILLIS = 5;
  static final boolean DEBUG = Boolean.getBoolean("cbench.debug");

  private ConcurrencyBench() {}

  /** One measured run. */
  record Result(
      String backend,
      String who,
      int concurrency,
      int records,
      double perSecond,
      double p99LagMs) {}

  public static void main(String[] args) throws Exception {
    List<String> backends =
        List.of(args.length > 0 ? args[0].split(",") : new String[] {"memory", "kafka"});
    List<Result> results = new ArrayList<>();
    if (backends.contains("memory")) {
      try (Sluice sluice =
          Sluice.builder()
              .ignoreEnvironment()
              .backend("memory")
              .set("sluice.memory.namespace", "cbench-" + UUID.randomUUID())
              .open()) {
        measureAll("memory", sluice, results);
      }
    }
    if (backends.contains("kafka")) {
      try (KafkaBroker broker = KafkaBroker.startNew();
          Sluice sluice =
              Sluice.builder()
                  .ignoreEnvironment()
                  .backend("kafka")
                  .set("sluice.kafka.bootstrap.servers", broker.bootstrapServers())
                  .open()) {
        measureAll("kafka", sluice, results);
        if (Boolean.parseBoolean(System.getProperty("cbench.pc", "true"))) {
          try {
            ParallelConsumerRun.runIfPresent(broker.bootstrapServers(), sluice, results);
          } catch (Exception | LinkageError e) {
            // 0.5.3.2 needs classes the Kafka 4 client removed (CloseableIterator).
            System.out.println("parallel-consumer failed: " + e);
          }
        }
      }
    }
    String table = table(results);
    System.out.println(table);
    Path out = Path.of("benchmarks/target/concurrency-results.md");
    if (Files.isDirectory(out.getParent())) {
      Files.writeString(out, table, StandardCharsets.UTF_8);
    }
    System.exit(0);
  }

  static void measureAll(String backend, Sluice sluice, List<Result> results) throws Exception {
    // Sized so each run lasts a few seconds at the ideal rate of n / 5 ms.
    for (String level :
        System.getProperty("cbench.levels", "1:1000,64:40000,256:100000").split(",")) {
      String[] parts = level.split(":");
      results.add(measure(backend, sluice, Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
    }
  }

  static String send(Sluice sluice, int shards, int records) {
    String stream = "cbench-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(stream, StreamSpec.withShards(shards));
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      List<CompletableFuture<?>> sends = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        sends.add(p.send("key-" + (i % KEYS), "v" + i));
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
    return stream;
  }

  static Result measure(String backend, Sluice sluice, int concurrency, int records)
      throws Exception {
    String stream = send(sluice, SHARDS, records);
    Shard[] shards = new Shard[records];
    Position[] positions = new Position[records];
    long[] returned = new long[records];
    AtomicInteger done = new AtomicInteger();
    AtomicLong first = new AtomicLong();
    AtomicLong lastCall = new AtomicLong(System.nanoTime());
    Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("cbench-" + UUID.randomUUID())
            .concurrency(concurrency, Ordering.PER_KEY)
            .start(
                r -> {
                  long t0 = System.nanoTime();
                  first.compareAndSet(0, t0);
                  long gap = t0 - lastCall.getAndSet(t0);
                  if (DEBUG && gap > 50_000_000 && lastCall.get() != 0) {
                    System.out.printf("gap %.0f ms before record %d%n", gap / 1e6, done.get());
                  }
                  Thread.sleep(HANDLER_MILLIS);
                  int i = done.getAndIncrement();
                  if (i < records) {
                    shards[i] = r.shard();
                    positions[i] = r.position();
                    returned[i] = System.nanoTime();
                  }
                });
    Map<Shard, List<long[]>> sampleTimes = new HashMap<>();
    Map<Shard, List<Position>> samplePositions = new HashMap<>();
    Map<Shard, Position> last = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    long end = 0;
    while (System.nanoTime() < deadline) {
      Map<Shard, Position> now = consumer.processedPositions();
      long t = System.nanoTime();
      for (Map.Entry<Shard, Position> e : now.entrySet()) {
        if (!e.getValue().equals(last.get(e.getKey()))) {
          last.put(e.getKey(), e.getValue());
          sampleTimes.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new long[] {t});
          samplePositions.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
      }
      if (done.get() >= records) {
        if (end == 0) {
          end = System.nanoTime();
        }
        if (allCovered(records, shards, positions, last)) {
          break;
        }
      }
      Thread.sleep(1);
    }
    consumer.close();
    sluice.admin().deleteStream(stream);
    double seconds = (end - first.get()) / 1e9;
    Histogram lag = new Histogram(3);
    for (int i = 0; i < records; i++) {
      List<Position> ps = samplePositions.get(shards[i]);
      List<long[]> ts = sampleTimes.get(shards[i]);
      int at = firstCovering(ps, positions[i]);
      if (at >= 0) {
        lag.recordValue(Math.max(0, ts.get(at)[0] - returned[i]) / 1_000);
      }
    }
    Result r =
        new Result(
            backend,
            "Sluice",
            concurrency,
            records,
            records / seconds,
            lag.getValueAtPercentile(99) / 1_000.0);
    System.out.printf(
        Locale.ROOT,
        "%s concurrency %d: %,d records in %.2f s, %,.0f records/s, lag p99 %.1f ms%n",
        backend,
        concurrency,
        records,
        seconds,
        r.perSecond(),
        r.p99LagMs());
    return r;
  }

  private static boolean allCovered(
      int records, Shard[] shards, Position[] positions, Map<Shard, Position> last) {
    Map<Shard, Position> max = new HashMap<>();
    for (int i = 0; i < records; i++) {
      max.merge(shards[i], positions[i], (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }
    for (Map.Entry<Shard, Position> e : max.entrySet()) {
      Position p = last.get(e.getKey());
      if (p == null || p.compareTo(e.getValue()) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The first sample at or past {@code p} (samples only move forward); -1 if none. */
  private static int firstCovering(List<Position> samples, Position p) {
    int lo = 0;
    int hi = samples.size() - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (samples.get(mid).compareTo(p) >= 0) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }

  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "## Concurrency: %d shards, handler sleeping %d ms, PER_KEY, %,d keys%n%n",
            SHARDS,
            HANDLER_MILLIS,
            KEYS));
    sb.append(
        "| Backend | Consumer | Concurrency | Records | Records/s | × concurrency 1 | p99 handler-to-checkpoint lag |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|\n");
    Map<String, Double> base = new HashMap<>();
    for (Result r : results) {
      if (r.concurrency() == 1 && r.who().equals("Sluice")) {
        base.put(r.backend(), r.perSecond());
      }
    }
    Map<Integer, Double> sluiceKafka = new HashMap<>();
    for (Result r : results) {
      if (r.backend().equals("kafka") && r.who().equals("Sluice")) {
        sluiceKafka.put(r.concurrency(), r.perSecond());
      }
    }
    for (Result r : results) {
      Double b = base.get(r.backend());
      if (!r.who().equals("Sluice")) {
        Double s = sluiceKafka.get(r.concurrency());
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %d | %,d | %,.0f | Sluice ÷ this: %s | n/a |%n",
                r.backend(),
                r.who(),
                r.concurrency(),
                r.records(),
                r.perSecond(),
                s == null ? "?" : String.format(Locale.ROOT, "%.2f×", s / r.perSecond())));
        continue;
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %,d | %,.0f | %s | %s |%n",
              r.backend(),
              r.who(),
              r.concurrency(),
              r.records(),
              r.perSecond(),
              b == null ? "" : String.format(Locale.ROOT, "%.1f×", r.perSecond() / b),
              Double.isNaN(r.p99LagMs())
                  ? "n/a"
                  : String.format(Locale.ROOT, "%.1f ms", r.p99LagMs())));
    }
    return sb.toString();
  }
}
