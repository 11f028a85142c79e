package dev.sluice.benchmarks;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The memory backend alone (there is no raw client): produce, consume, and both at once, with
 * Sluice's public API as an application uses it (bytes serde, keyed records, a group consumer with
 * automatic checkpoints and a handler).
 */
final class MemoryBench {
  private final Options options;
  private final Workload workload;
  private final Progress progress;

  MemoryBench(Options options, Workload workload, Progress progress) {
    this.options = options;
    this.workload = workload;
    this.progress = progress;
  }

  void run(Table table) throws Exception {
    int n = options.memoryRecords;
    Table.Row produce = table.row("memory", "produce records/s").sluiceOnly();
    Table.Row consume = table.row("memory", "consume records/s").sluiceOnly();
    Table.Row both =
        table
            .row("memory", "produce + consume at once, records/s")
            .sluiceOnly()
            .target(Table.Target.atLeast(5_000_000, "rec/s"));
    table.note(
        "memory: "
            + Table.count(n)
            + " records per run; `produce + consume at once` starts a group consumer on an empty"
            + " stream, then sends; the time runs from the first send to the last record handled.");
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", "bench-" + UUID.randomUUID())
            .open()) {
      if (options.warmupRecords > 0) {
        String s = "warmup";
        sluice.admin().createStream(s, StreamSpec.withShards(options.shards));
        produce(sluice, s, options.warmupRecords, "memory warm-up produce");
        consume(sluice, s, options.warmupRecords, "memory warm-up consume");
        sluice.admin().deleteStream(s);
      }
      for (int round = 1; round <= options.rounds; round++) {
        String label = "memory round " + round + "/" + options.rounds;
        String s = "round-" + round;
        sluice.admin().createStream(s, StreamSpec.withShards(options.shards));
        produce.sluice.add(produce(sluice, s, n, label + " produce"));
        consume.sluice.add(consume(sluice, s, n, label + " consume"));
        sluice.admin().deleteStream(s);
        String s2 = "round-" + round + "-both";
        sluice.admin().createStream(s2, StreamSpec.withShards(options.shards));
        both.sluice.add(produceAndConsume(sluice, s2, n, label + " produce + consume"));
        sluice.admin().deleteStream(s2);
        System.gc();
      }
    }
  }

  private double produce(Sluice sluice, String stream, int n, String label) {
    try (Producer<byte[], byte[]> producer = sluice.producer(stream)) {
      return done(label, n, workload.sendAll(producer, n, progress, label));
    }
  }

  private double consume(Sluice sluice, String stream, int n, String label)
      throws InterruptedException {
    AtomicLong handled = new AtomicLong();
    CountDownLatch all = new CountDownLatch(1);
    progress.start(label, n, handled::get);
    long start = System.nanoTime();
    try (Consumer<byte[], byte[]> consumer =
        options
            .consumer(sluice.consumer(stream))
            .group("bench")
            .startPosition(StartPosition.earliest())
            .start(
                r -> {
                  if (handled.incrementAndGet() == n) {
                    all.countDown();
                  }
                })) {
      await(all, consumer, label);
      return done(label, n, System.nanoTime() - start);
    }
  }

  private double produceAndConsume(Sluice sluice, String stream, int n, String label)
      throws InterruptedException {
    AtomicLong handled = new AtomicLong();
    CountDownLatch all = new CountDownLatch(1);
    CountDownLatch assigned = new CountDownLatch(1);
    try (Consumer<byte[], byte[]> consumer =
            options
                .consumer(sluice.consumer(stream))
                .group("bench")
                .startPosition(StartPosition.earliest())
                .listener(
                    new dev.sluice.ShardListener() {
                      @Override
                      public void onAssigned(Assigned event) {
                        if (event.assignment().size() == options.shards) {
                          assigned.countDown();
                        }
                      }
                    })
                .start(
                    r -> {
                      if (handled.incrementAndGet() == n) {
                        all.countDown();
                      }
                    });
        Producer<byte[], byte[]> producer = sluice.producer(stream)) {
      if (!assigned.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(label + ": the consumer got no shards within 30 s");
      }
      progress.start(label, n, handled::get);
      AtomicLong failed = new AtomicLong();
      BiConsumer<SendResult, Throwable> onComplete =
          (result, error) -> {
            if (error != null) {
              failed.incrementAndGet();
            }
          };
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        producer.send(workload.key(i), workload.value(), onComplete);
      }
      if (failed.get() > 0) {
        throw new IllegalStateException(label + ": " + failed.get() + " sends failed");
      }
      await(all, consumer, label);
      return done(label, n, System.nanoTime() - start);
    }
  }

  private static void await(CountDownLatch latch, Consumer<?, ?> consumer, String label)
      throws InterruptedException {
    while (!latch.await(100, TimeUnit.MILLISECONDS)) {
      if (consumer.termination().isDone()) {
        consumer.termination().join();
        throw new IllegalStateException(label + ": the consumer stopped");
      }
    }
  }

  private double done(String label, int n, long nanos) {
    double rate = n / (nanos / 1e9);
    progress.end(
        String.format(
            java.util.Locale.ROOT,
            "%s: %,d records in %.3f s, %s rec/s",
            label,
            n,
            nanos / 1e9,
            Table.count(rate)));
    return rate;
  }
}
