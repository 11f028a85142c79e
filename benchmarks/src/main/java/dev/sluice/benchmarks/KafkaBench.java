package dev.sluice.benchmarks;

import static dev.sluice.benchmarks.Steps.inOrder;
import static dev.sluice.benchmarks.Steps.settle;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.benchmarks.Steps.Run;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * Raw {@code KafkaProducer} / {@code KafkaConsumer} against the Sluice producer and consumer on the
 * {@code kafka} backend, alternating A B in the same JVM with the same client settings.
 *
 * <ul>
 *   <li>produce: N keyed records, timed from the first send until {@code flush()} returns;
 *   <li>consume: a fresh consumer group reads the N records the raw producer wrote, timed from the
 *       first record to the last (group join is not throughput). Raw commits as most applications
 *       do, with {@code enable.auto.commit} every second; Sluice checkpoints automatically every
 *       second (its default). Raw gets the consumer settings Sluice's backend uses by default
 *       ({@code read_committed}, the cooperative-sticky assignor, 5000 records per poll);
 *   <li>latency: with the consumer assigned, records are sent at a steady rate; each record carries
 *       its send time, and the consumer records now minus that.
 * </ul>
 */
final class KafkaBench {
  private final Options options;
  private final Workload workload;
  private final Progress progress;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  KafkaBench(Options options, Workload workload, Progress progress) {
    this.options = options;
    this.workload = workload;
    this.progress = progress;
  }

  void run(Table table, KafkaTarget kafka) throws Exception {
    boolean sluiceReady = Backends.available("kafka");
    String pending = sluiceReady ? null : "sluice-kafka not on the class path yet";
    Table.Target ratio = Table.Target.ratioAtLeast(0.97);
    Table.Row produce = table.row("kafka", "produce records/s").target(ratio);
    Table.Row produceMb = table.row("kafka", "produce MB/s");
    Table.Row produceFutures =
        table
            .row("kafka", "produce records/s, a future per send")
            .target(Table.Target.ratioAtLeast(0.95));
    Table.Row consume = table.row("kafka", "consume records/s").target(ratio);
    Table.Row consumeMb = table.row("kafka", "consume MB/s");
    // CPU time of this JVM per record: the client's own cost, when the broker runs elsewhere.
    boolean clientOnly = KafkaTarget.clientOnly(options);
    Table.Row produceCpu =
        clientOnly ? table.cpuRow("kafka", "produce: client CPU per record") : null;
    Table.Row produceFuturesCpu =
        clientOnly
            ? table.cpuRow("kafka", "produce, a future per send: client CPU per record")
            : null;
    Table.Row consumeCpu =
        clientOnly ? table.cpuRow("kafka", "consume: client CPU per record") : null;
    Table.Row p50 = table.latencyRow("kafka", "end-to-end latency p50");
    Table.Row p99 =
        table.latencyRow("kafka", "end-to-end latency p99").target(Table.Target.rawPlusMillis(1));
    if (pending != null) {
      for (Table.Row r :
          List.of(produce, produceMb, produceFutures, consume, consumeMb, p50, p99)) {
        r.pending(pending);
      }
    }

    String bootstrap = kafka.bootstrap;
    table.note(
        String.format(
            Locale.ROOT,
            "kafka: %s, %d partitions, acks=all, linger.ms=%d, batch.size=%d, compression=%s;"
                + " latency: %,d records at %,d rec/s.",
            kafka.description,
            options.shards,
            options.lingerMs,
            options.batchSize,
            options.compression,
            options.latencyRecords,
            options.latencyRate));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        Sluice sluice = sluiceReady ? openSluice(bootstrap) : null) {
      KafkaClients clients = new KafkaClients(admin, bootstrap, options, run);
      if (options.warmupRecords > 0) {
        int w = options.warmupRecords;
        String t = clients.topic("warmup-raw");
        produceRaw(clients, t, w, "kafka warm-up raw produce");
        consumeRaw(clients, t, w, "kafka warm-up raw consume");
        if (sluice != null) {
          produceSluice(
              sluice, clients.topic("warmup-sluice"), w, "kafka warm-up sluice produce", false);
          produceSluice(
              sluice,
              clients.topic("warmup-futures"),
              w,
              "kafka warm-up sluice produce, futures",
              true);
          consumeSluice(clients, sluice, t, w, "kafka warm-up sluice consume");
        }
      }
      double mb = workload.bytesPerRecord() / 1e6;
      int n = options.records;
      for (int round = 1; round <= options.rounds; round++) {
        String label = "kafka round " + round + "/" + options.rounds;
        // A B in odd rounds, B A in even ones: a drift over the run (JIT, page cache, the broker's
        // own warm-up) then favours neither side.
        boolean sluiceFirst = round % 2 == 0;
        String rawTopic = clients.topic("produce-raw-" + round);
        String sluiceTopic = clients.topic("produce-sluice-" + round);
        String futuresTopic = clients.topic("produce-futures-" + round);
        inOrder(
            sluiceFirst,
            () -> {
              Run raw = produceRaw(clients, rawTopic, n, label + " raw produce");
              add(raw, true, mb, produce, produceMb, produceCpu);
              produceFutures.raw.add(raw.rate);
              if (produceFuturesCpu != null) {
                produceFuturesCpu.raw.add(raw.cpuMicros);
              }
            },
            sluice == null
                ? null
                : () -> {
                  Run s = produceSluice(sluice, sluiceTopic, n, label + " sluice produce", false);
                  add(s, false, mb, produce, produceMb, produceCpu);
                  settle();
                  s =
                      produceSluice(
                          sluice, futuresTopic, n, label + " sluice produce, futures", true);
                  produceFutures.sluice.add(s.rate);
                  if (produceFuturesCpu != null) {
                    produceFuturesCpu.sluice.add(s.cpuMicros);
                  }
                });
        consumeRaw(clients, rawTopic, n, label + " pre-read (not measured)");
        inOrder(
            sluiceFirst,
            () -> {
              Run raw = consumeRaw(clients, rawTopic, n, label + " raw consume");
              add(raw, true, mb, consume, consumeMb, consumeCpu);
            },
            sluice == null
                ? null
                : () -> {
                  Run s = consumeSluice(clients, sluice, rawTopic, n, label + " sluice consume");
                  add(s, false, mb, consume, consumeMb, consumeCpu);
                });
        if (options.latencyRecords > 0) {
          String lt = clients.topic("latency-raw-" + round);
          String ls = clients.topic("latency-sluice-" + round);
          inOrder(
              sluiceFirst,
              () -> {
                Histogram h = latencyRaw(clients, lt, label + " raw latency");
                p50.raw.add(millis(h, 50));
                p99.raw.add(millis(h, 99));
              },
              sluice == null
                  ? null
                  : () -> {
                    Histogram h = latencySluice(sluice, clients, ls, label + " sluice latency");
                    p50.sluice.add(millis(h, 50));
                    p99.sluice.add(millis(h, 99));
                  });
        }
      }
      clients.deleteAll();
    }
  }

  private Sluice openSluice(String bootstrap) {
    Sluice.Builder b =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("kafka")
            .set("sluice.kafka.bootstrap.servers", bootstrap);
    KafkaClients.producerSettings(options)
        .forEach((k, v) -> b.set("sluice.kafka." + k, String.valueOf(v)));
    return b.open();
  }

  // ------------------------------------------------------------------ produce

  /**
   * Books one side's step: its records/s, its MB/s ({@code mb} per record) and, when the table has
   * the row, its CPU per record.
   */
  private static void add(
      Run run,
      boolean raw,
      double mb,
      Table.Row rate,
      Table.Row megabytes,
      Table.@Nullable Row cpu) {
    (raw ? rate.raw : rate.sluice).add(run.rate);
    (raw ? megabytes.raw : megabytes.sluice).add(run.rate * mb);
    if (cpu != null) {
      (raw ? cpu.raw : cpu.sluice).add(run.cpuMicros);
    }
  }

  private Run produceRaw(KafkaClients clients, String topic, int n, String label) {
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> error = new AtomicReference<>();
    Callback callback =
        (metadata, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            error.compareAndSet(null, e);
          }
        };
    AtomicLong sent = new AtomicLong();
    try (KafkaProducer<byte[], byte[]> producer = clients.producer()) {
      progress.start(label, n, sent::get);
      long cpu = Workload.cpuNanos();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, workload.key(i), workload.value()), callback);
        sent.lazySet(i + 1);
      }
      producer.flush();
      long nanos = System.nanoTime() - start;
      cpu = Workload.cpuNanos() - cpu;
      check(failed, error.get(), label);
      return done(label, n, nanos, cpu);
    }
  }

  private Run produceSluice(Sluice sluice, String topic, int n, String label, boolean futures) {
    try (Producer<byte[], byte[]> producer = sluice.producer(topic)) {
      long cpu = Workload.cpuNanos();
      long nanos =
          futures
              ? workload.sendAllWithFutures(producer, n, progress, label)
              : workload.sendAll(producer, n, progress, label);
      return done(label, n, nanos, Workload.cpuNanos() - cpu);
    }
  }

  // ------------------------------------------------------------------ consume

  private Run consumeRaw(KafkaClients clients, String topic, int n, String label) {
    long count = 0;
    long first = 0;
    long last = 0;
    long cpu = Workload.cpuNanos();
    AtomicLong seen = new AtomicLong();
    try (KafkaConsumer<byte[], byte[]> consumer = clients.consumer(group("consume-raw"))) {
      consumer.subscribe(List.of(topic));
      progress.start(label, n, seen::get);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (count < n) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (!records.isEmpty() && first == 0) {
          first = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (r.value() != null) {
            count++;
          }
        }
        seen.lazySet(count);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(label + ": only " + count + " of " + n + " in 5 min");
        }
      }
      last = System.nanoTime();
      cpu = Workload.cpuNanos() - cpu;
    }
    return done(label, n, last - first, cpu);
  }

  /**
   * A group consumer with a handler. The handler runs on a worker per shard, so it counts as code
   * called from several threads should: a {@link LongAdder}, and the end of each partition found by
   * its last offset (the topic is complete before the step). It used to count with one {@code
   * AtomicLong} that every worker incremented and compared with N: a cache line passed between the
   * cores on every record, a cost of the benchmark's handler that the raw loop (one thread, a local
   * {@code long}) does not have, booked as Sluice's client CPU.
   */
  private Run consumeSluice(KafkaClients clients, Sluice sluice, String topic, int n, String label)
      throws Exception {
    long[] ends = clients.endOffsets(topic);
    long minLast = Long.MAX_VALUE;
    int partitions = 0;
    for (long end : ends) {
      if (end > 0) {
        partitions++;
        minLast = Math.min(minLast, end - 1);
      }
    }
    long firstLast = minLast;
    long cpu = Workload.cpuNanos();
    LongAdder handled = new LongAdder();
    AtomicLong first = new AtomicLong();
    AtomicLongArray doneAt = new AtomicLongArray(ends.length);
    CountDownLatch all = new CountDownLatch(partitions);
    progress.start(label, n, handled::sum);
    try (Consumer<byte[], byte[]> consumer =
        options
            .consumer(sluice.consumer(topic))
            .group(group("consume-sluice"))
            .startPosition(StartPosition.earliest())
            .start(
                r -> {
                  if (first.get() == 0) {
                    first.compareAndSet(0, System.nanoTime());
                  }
                  handled.increment();
                  long offset = r.position().offset();
                  if (offset >= firstLast) {
                    int p = Integer.parseInt(r.shard().id());
                    if (offset == ends[p] - 1) {
                      doneAt.set(p, System.nanoTime());
                      all.countDown();
                    }
                  }
                })) {
      await(all, consumer, label, TimeUnit.MINUTES.toNanos(5));
      cpu = Workload.cpuNanos() - cpu;
    }
    if (handled.sum() != n) {
      throw new IllegalStateException(label + ": handled " + handled.sum() + " records, not " + n);
    }
    long last = 0;
    for (int p = 0; p < ends.length; p++) {
      last = Math.max(last, doneAt.get(p));
    }
    return done(label, n, last - first.get(), cpu);
  }

  // ------------------------------------------------------------------ latency

  private Histogram latencyRaw(KafkaClients clients, String topic, String label) throws Exception {
    int n = options.latencyRecords;
    Histogram histogram = new ConcurrentHistogram(3);
    CountDownLatch assigned = new CountDownLatch(1);
    AtomicLong received = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread poller =
        new Thread(
            () -> {
              try (KafkaConsumer<byte[], byte[]> consumer =
                  clients.consumer(group("latency-raw"))) {
                consumer.subscribe(
                    List.of(topic),
                    new ConsumerRebalanceListener() {
                      @Override
                      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

                      @Override
                      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        if (consumer.assignment().size() == options.shards) {
                          assigned.countDown();
                        }
                      }
                    });
                while (received.get() < n && !Thread.currentThread().isInterrupted()) {
                  for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    histogram.recordValue(micros(r.value()));
                    received.incrementAndGet();
                  }
                }
              } catch (RuntimeException e) {
                failure.set(e);
                assigned.countDown();
              }
            },
            "bench-raw-latency-consumer");
    poller.setDaemon(true);
    poller.start();
    awaitAssigned(assigned, label);
    try (KafkaProducer<byte[], byte[]> producer = clients.producer()) {
      progress.start(label, n, received::get);
      pace(n, i -> producer.send(new ProducerRecord<>(topic, workload.key(i), workload.value())));
      producer.flush();
      poller.join(TimeUnit.MINUTES.toMillis(2));
    }
    if (failure.get() != null) {
      throw new IllegalStateException(label + " failed", failure.get());
    }
    if (received.get() < n) {
      poller.interrupt();
      throw new IllegalStateException(label + ": only " + received.get() + " of " + n);
    }
    return latencyDone(label, histogram);
  }

  private Histogram latencySluice(Sluice sluice, KafkaClients clients, String topic, String label)
      throws Exception {
    int n = options.latencyRecords;
    Histogram histogram = new ConcurrentHistogram(3);
    CountDownLatch assigned = new CountDownLatch(1);
    CountDownLatch all = new CountDownLatch(1);
    AtomicLong received = new AtomicLong();
    try (Consumer<byte[], byte[]> consumer =
        options
            .consumer(sluice.consumer(topic))
            .group(group("latency-sluice"))
            .startPosition(StartPosition.earliest())
            .listener(
                new ShardListener() {
                  @Override
                  public void onAssigned(Assigned event) {
                    if (event.assignment().size() == options.shards) {
                      assigned.countDown();
                    }
                  }
                })
            .start(
                r -> {
                  histogram.recordValue(micros(r.value()));
                  if (received.incrementAndGet() == n) {
                    all.countDown();
                  }
                })) {
      awaitAssigned(assigned, label);
      try (Producer<byte[], byte[]> producer = sluice.producer(topic)) {
        progress.start(label, n, received::get);
        pace(n, i -> producer.send(workload.key(i), workload.value()));
        producer.flush();
      }
      await(all, consumer, label, TimeUnit.MINUTES.toNanos(2));
    }
    return latencyDone(label, histogram);
  }

  private void awaitAssigned(CountDownLatch assigned, String label) throws InterruptedException {
    if (!assigned.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(label + ": the consumer got no partitions within 60 s");
    }
    // Let the first fetch start, so the first records do not measure the group join.
    Thread.sleep(500);
  }

  private void pace(int n, java.util.function.IntConsumer send) {
    Steps.pace(n, options.latencyRate, send);
  }

  private static long micros(byte[] value) {
    return Steps.micros(System.nanoTime(), value);
  }

  private static double millis(Histogram h, double percentile) {
    return Steps.millis(h, percentile);
  }

  private Histogram latencyDone(String label, Histogram h) {
    progress.end(
        String.format(
            Locale.ROOT,
            "%s: %,d records, p50 %.2f ms, p99 %.2f ms, max %.2f ms",
            label,
            h.getTotalCount(),
            millis(h, 50),
            millis(h, 99),
            h.getMaxValue() / 1000.0));
    return h;
  }

  // ------------------------------------------------------------------ helpers

  private String group(String what) {
    return "bench-" + run + "-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static void await(CountDownLatch latch, Consumer<?, ?> consumer, String label, long nanos)
      throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    while (!latch.await(100, TimeUnit.MILLISECONDS)) {
      if (consumer.termination().isDone()) {
        consumer.termination().join();
        throw new IllegalStateException(label + ": the consumer stopped");
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(label + ": timed out");
      }
    }
  }

  private static void check(AtomicLong failed, Throwable error, String label) {
    if (failed.get() > 0) {
      throw new IllegalStateException(label + ": " + failed.get() + " sends failed", error);
    }
  }

  private Run done(String label, int n, long nanos, long cpuNanos) {
    double rate = n / (nanos / 1e9);
    double cpuMicros = cpuNanos / 1e3 / n;
    progress.end(
        String.format(
            Locale.ROOT,
            "%s: %,d records in %.3f s, %s rec/s, %.1f MB/s, %.2f µs CPU/record",
            label,
            n,
            nanos / 1e9,
            Table.count(rate),
            rate * workload.bytesPerRecord() / 1e6,
            cpuMicros));
    return new Run(rate, cpuMicros);
  }
}
