package dev.sluice.benchmarks;

import dev.sluice.Consumer;
import dev.sluice.ConsumerBuilder;
import dev.sluice.Producer;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deduplicating group consumer ({@code deduplicate()}) against an at-least-once group consumer on
 * the same stream of records written by Sluice (so every record carries a write id), on the
 * kinesis-local emulator with dynalite for the leases, in the same run. The "raw" column is the
 * at-least-once consumer. Each is timed from its first record to its last: a KCL group takes
 * seconds to start on the emulator, which says nothing about either.
 */
final class KinesisDedupBench {
  private final Options options;
  private final Workload workload;
  private final Progress progress;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  KinesisDedupBench(Options options, Workload workload, Progress progress) {
    this.options = options;
    this.workload = workload;
    this.progress = progress;
  }

  void run(Table table) throws Exception {
    Table.Row row =
        table
            .row("kinesis", "group consume records/s, deduplicating vs at-least-once")
            .ratioOnly()
            .target(Table.Target.ratioAtLeast(0.9));
    if (!Backends.available("kinesis")) {
      row.pending("sluice-kinesis not on the class path yet");
      return;
    }
    int n = options.kinesisRecords;
    table.note(
        String.format(
            Locale.ROOT,
            "kinesis deduplication: %,d records written by Sluice (write ids on), %d shards, KCL"
                + " polling group consumers (GetRecords of 500 every 50 ms) timed from the first"
                + " record to the last; the at-least-once consumer is the left column.",
            n,
            options.shards));
    progress.note("kinesis dedup: starting the kinesis-local emulator and dynalite");
    try (KinesisEmulator kinesis = KinesisEmulator.startNew();
        DynamoDbEmulator dynamo = DynamoDbEmulator.startNew();
        Sluice sluice = open(kinesis, dynamo)) {
      String stream = "bench-dedup-" + run;
      sluice.admin().createStream(stream, StreamSpec.withShards(options.shards));
      produce(sluice, stream, n);
      for (int round = 1; round <= options.rounds; round++) {
        String label = "kinesis dedup round " + round + "/" + options.rounds;
        // Alternating which goes first, so neither always runs after the other's group left.
        if (round % 2 == 1) {
          row.raw.add(consume(sluice, stream, n, false, label + " at-least-once"));
          row.sluice.add(consume(sluice, stream, n, true, label + " deduplicating"));
        } else {
          row.sluice.add(consume(sluice, stream, n, true, label + " deduplicating"));
          row.raw.add(consume(sluice, stream, n, false, label + " at-least-once"));
        }
      }
    }
  }

  private static Sluice open(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    return Sluice.builder()
        .ignoreEnvironment()
        .backend("kinesis")
        .set("sluice.kinesis.endpoint", kinesis.endpoint().toString())
        .set("sluice.kinesis.dynamodb.endpoint", dynamo.endpoint().toString())
        .set("sluice.kinesis.region", kinesis.region())
        .set("sluice.kinesis.credentials", "static")
        .set("sluice.kinesis.access.key.id", kinesis.accessKeyId())
        .set("sluice.kinesis.secret.access.key", kinesis.secretAccessKey())
        // The test timings (KinesisOptions.fastGroupTimingsForTests), so groups start in seconds.
        .set("sluice.kinesis.failover.time.ms", "2000")
        .set("sluice.kinesis.shard.sync.interval.ms", "1000")
        .set("sluice.kinesis.parent.shard.poll.interval.ms", "500")
        .set("sluice.kinesis.dispatch.interval.ms", "100")
        // Batches of 500 every 50 ms: a run of a few thousand records spans many GetRecords calls,
        // so first-to-last measures reading, not one batch handed over at once.
        .set("sluice.kinesis.poll.interval.ms", "50")
        .set("sluice.kinesis.max.batch.records", "500")
        .open();
  }

  private void produce(Sluice sluice, String stream, int n) throws Exception {
    AtomicLong sent = new AtomicLong();
    progress.start("kinesis dedup produce", n, sent::get);
    try (Producer<byte[], byte[]> producer = sluice.producer(stream)) {
      List<CompletableFuture<?>> futures = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        futures.add(producer.send(workload.key(i), workload.value()));
        sent.incrementAndGet();
      }
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(10, TimeUnit.MINUTES);
    }
    progress.end("kinesis dedup produce: " + n + " records");
  }

  private double consume(Sluice sluice, String stream, int n, boolean deduplicate, String label)
      throws InterruptedException {
    AtomicLong handled = new AtomicLong();
    AtomicLong firstAt = new AtomicLong();
    CountDownLatch all = new CountDownLatch(1);
    progress.start(label, n, handled::get);
    ConsumerBuilder<byte[], byte[]> builder =
        options
            .consumer(sluice.consumer(stream))
            .group("bench-" + run + "-" + label.replaceAll("[^A-Za-z0-9]", "-"))
            .startPosition(StartPosition.earliest());
    if (deduplicate) {
      builder.deduplicate();
    }
    long end;
    try (Consumer<byte[], byte[]> consumer =
        builder.start(
            r -> {
              long c = handled.incrementAndGet();
              if (c == 1) {
                firstAt.set(System.nanoTime());
              }
              if (c == n) {
                all.countDown();
              }
            })) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (!all.await(20, TimeUnit.MILLISECONDS)) {
        if (consumer.termination().isDone()) {
          consumer.termination().join();
          throw new IllegalStateException(label + ": the consumer stopped");
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(label + ": timed out");
        }
      }
      end = System.nanoTime();
    }
    long nanos = end - firstAt.get();
    double rate = (n - 1) / (nanos / 1e9);
    progress.end(
        String.format(
            Locale.ROOT,
            "%s: %,d records in %.3f s after the first, %s rec/s (emulator)",
            label,
            n,
            nanos / 1e9,
            Table.count(rate)));
    return rate;
  }
}
