package dev.sluice.benchmarks;

import static dev.sluice.benchmarks.Steps.inOrder;
import static dev.sluice.benchmarks.Steps.millis;

import dev.sluice.Destination;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.ProcessorBuilder;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.benchmarks.Steps.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.jspecify.annotations.Nullable;

/**
 * A multi-stage pipeline's stage, consume → map → produce, as a Kafka Streams topology beside the
 * Sluice processor ({@code sluice.processor(...)}), on the same broker, alternating A B in the same
 * JVM; once with Streams' {@code exactly_once_v2} against {@link ProcessingGuarantee#EXACTLY_ONCE},
 * once both at least once.
 *
 * <ul>
 *   <li>records/s: a fresh group (Streams: a fresh {@code application.id}) processes the N records
 *       of one input topic written before the rounds, to an empty output topic; a {@code
 *       read_committed} consumer of the output counts them, and the rate is the records it sees
 *       after its first non-empty poll over the time from that poll to the one that completes N (a
 *       first transaction arrives all at once, so it starts the clock rather than counting);
 *   <li>latency: with the pipeline assigned every input partition, records are sent to its input at
 *       a steady rate, each carrying its send time; the output's {@code read_committed} consumer
 *       records now minus that. Under exactly-once it includes waiting for the commit.
 * </ul>
 *
 * <p>Each side runs with its own defaults (Streams: one stream thread, commits every 100 ms under
 * exactly-once and every 30 s at least once; Sluice: a worker per input shard, commits every 100
 * ms), but both produce with the run's producer settings ({@code acks=all}, {@code --linger-ms},
 * {@code --batch-size}, {@code --compression}).
 */
final class PipelineBench {
  /** A processing guarantee as each side names it. */
  enum Mode {
    EXACTLY_ONCE("exactly-once", StreamsConfig.EXACTLY_ONCE_V2, ProcessingGuarantee.EXACTLY_ONCE),
    AT_LEAST_ONCE("at-least-once", StreamsConfig.AT_LEAST_ONCE, ProcessingGuarantee.AT_LEAST_ONCE);

    final String label;
    final String streams;
    final ProcessingGuarantee sluice;

    Mode(String label, String streams, ProcessingGuarantee sluice) {
      this.label = label;
      this.streams = streams;
      this.sluice = sluice;
    }
  }

  /** A started pipeline, either side. */
  private interface Running extends AutoCloseable {
    /** True once every input partition is assigned to it. */
    boolean ready();

    /** Why it stopped by itself, or null. */
    @Nullable Throwable failure();

    @Override
    void close();
  }

  /** Starts one side's pipeline from {@code input} to {@code output} in group {@code group}. */
  private interface Side {
    Running start(Mode mode, String input, String output, String group);
  }

  /** The rows of one mode. */
  private static final class Rows {
    final Table.Row rate;
    final Table.@Nullable Row cpu;
    final Table.Row p50;
    final Table.Row p99;

    Rows(Table table, Mode mode, boolean clientOnly) {
      String backend = "kafka pipeline";
      rate =
          table
              .row(backend, mode.label + " records/s")
              .target(Table.Target.ratioAtLeast(1.0, "≥ 1.00× Kafka Streams"));
      cpu = clientOnly ? table.cpuRow(backend, mode.label + ": client CPU per record") : null;
      p50 = table.latencyRow(backend, mode.label + " end-to-end latency p50").withRatio();
      p99 =
          table
              .latencyRow(backend, mode.label + " end-to-end latency p99")
              .withRatio()
              .target(Table.Target.atMostRaw("≤ Kafka Streams"));
    }

    List<Table.Row> all() {
      List<Table.Row> rows = new ArrayList<>(List.of(rate, p50, p99));
      if (cpu != null) {
        rows.add(cpu);
      }
      return rows;
    }
  }

  /**
   * While a latency step runs: the time from each input's send until {@link #map} sees it, on
   * either side, splitting the end-to-end latency into "input to the function" and "function to the
   * output's reader".
   */
  private static volatile @Nullable ConcurrentHistogram toMap;

  private final Options options;
  private final Workload workload;
  private final Progress progress;
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private int topics;

  PipelineBench(Options options, Workload workload, Progress progress) {
    this.options = options;
    this.workload = workload;
    this.progress = progress;
  }

  void run(Table table, KafkaTarget kafka) throws Exception {
    boolean sluiceReady = Backends.available("kafka");
    boolean clientOnly = KafkaTarget.clientOnly(options);
    Map<Mode, Rows> rows = new java.util.EnumMap<>(Mode.class);
    for (Mode mode : options.pipelineModes) {
      rows.put(mode, new Rows(table, mode, clientOnly));
    }
    if (!sluiceReady) {
      rows.values().forEach(r -> r.all().forEach(row -> row.pending("sluice-kafka not built")));
    }
    table.note(
        String.format(
            Locale.ROOT,
            "kafka pipeline: consume → map → produce; the raw client column is a Kafka Streams %s"
                + " topology (one stream thread), Sluice is its processor; %s, %d partitions,"
                + " %,d input records per run, both produce with acks=all, linger.ms=%d,"
                + " batch.size=%d, compression=%s; latency: %,d records at %,d rec/s, observed by a"
                + " read_committed consumer of the output.",
            streamsVersion(),
            kafka.description,
            options.shards,
            options.pipelineRecords,
            options.lingerMs,
            options.batchSize,
            options.compression,
            options.latencyRecords,
            options.latencyRate));
    Path stateDir = Files.createTempDirectory("sluice-bench-streams");
    try (Admin admin =
            Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap));
        Sluice sluice = sluiceReady ? openSluice(kafka.bootstrap) : null) {
      KafkaClients clients = new KafkaClients(admin, kafka.bootstrap, options, run);
      Side streams =
          (mode, in, out, group) -> startStreams(clients, stateDir, mode, in, out, group);
      Side processor =
          sluice == null
              ? null
              : (mode, in, out, group) -> startSluice(sluice, mode, in, out, group);
      int n = options.pipelineRecords;
      String input = clients.topic("pipeline-in");
      fill(clients, input, n);
      if (options.warmupRecords > 0) {
        // Each side reads the input once in each mode, unmeasured: the JIT compiles both, and the
        // first reader of the just-written topic is not a measured one.
        for (Mode mode : options.pipelineModes) {
          throughput(clients, streams, mode, input, n, "pipeline warm-up streams " + mode.label);
          if (processor != null) {
            throughput(clients, processor, mode, input, n, "pipeline warm-up sluice " + mode.label);
          }
        }
      }
      for (int round = 1; round <= options.rounds; round++) {
        String label = "kafka pipeline round " + round + "/" + options.rounds;
        // A B in odd rounds, B A in even ones, as the client rows.
        boolean sluiceFirst = round % 2 == 0;
        for (Mode mode : options.pipelineModes) {
          Rows r = rows.get(mode);
          String what = label + " " + mode.label;
          inOrder(
              sluiceFirst,
              () -> book(r, true, throughput(clients, streams, mode, input, n, what + " streams")),
              processor == null
                  ? null
                  : () ->
                      book(
                          r,
                          false,
                          throughput(clients, processor, mode, input, n, what + " sluice")));
          if (options.latencyRecords > 0) {
            inOrder(
                sluiceFirst,
                () -> book(r, true, latency(clients, streams, mode, what + " streams latency")),
                processor == null
                    ? null
                    : () ->
                        book(
                            r, false, latency(clients, processor, mode, what + " sluice latency")));
          }
        }
      }
      clients.deleteAll();
    } finally {
      deleteQuietly(stateDir);
    }
  }

  private static void book(Rows rows, boolean streams, Run run) {
    (streams ? rows.rate.raw : rows.rate.sluice).add(run.rate);
    if (rows.cpu != null) {
      (streams ? rows.cpu.raw : rows.cpu.sluice).add(run.cpuMicros);
    }
  }

  private static void book(Rows rows, boolean streams, Histogram h) {
    (streams ? rows.p50.raw : rows.p50.sluice).add(millis(h, 50));
    (streams ? rows.p99.raw : rows.p99.sluice).add(millis(h, 99));
  }

  /**
   * The pipeline's transformation, the same on both sides: a copy of the value with its last byte
   * changed. The first 8 bytes, the send time, are kept for the latency.
   */
  static byte[] map(byte[] value) {
    ConcurrentHistogram stage = toMap;
    byte[] out = value.clone();
    if (stage != null) {
      long now = System.nanoTime();
      stage.recordValue(Steps.micros(now, value));
      if (out.length >= 17) {
        // The time the function ran, for the output's reader: bytes 8 to 15.
        for (int i = 15; i >= 8; i--) {
          out[i] = (byte) now;
          now >>>= 8;
        }
      }
    }
    if (out.length > 8) {
      out[out.length - 1] ^= 0x5A;
    }
    return out;
  }

  // ------------------------------------------------------------------ the two sides

  private Running startStreams(
      KafkaClients clients, Path stateDir, Mode mode, String input, String output, String group) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, group);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, clients.bootstrap());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, mode.streams);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    KafkaClients.producerSettings(options)
        .forEach((k, v) -> p.put(StreamsConfig.producerPrefix(k), v));
    if (options.pipelineCommitMs > 0) {
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, options.pipelineCommitMs);
    }
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .mapValues(PipelineBench::map)
        .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    streams.setUncaughtExceptionHandler(
        e -> {
          failure.compareAndSet(null, e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.start();
    return new Running() {
      @Override
      public boolean ready() {
        return streams.state() == KafkaStreams.State.RUNNING
            && streams.metadataForLocalThreads().stream()
                    .mapToInt(t -> t.activeTasks().size())
                    .sum()
                == options.shards;
      }

      @Override
      public @Nullable Throwable failure() {
        Throwable e = failure.get();
        if (e == null && streams.state() == KafkaStreams.State.ERROR) {
          e = new IllegalStateException("Kafka Streams went to ERROR");
        }
        return e;
      }

      @Override
      public void close() {
        streams.close(Duration.ofSeconds(30));
      }
    };
  }

  private Running startSluice(Sluice sluice, Mode mode, String input, String output, String group) {
    Destination<byte[], byte[]> out = Destination.bytes(output);
    ProcessorBuilder<byte[], byte[]> builder =
        sluice
            .processor(input, Serde.bytes(), Serde.bytes())
            .group(group)
            .output(out)
            .guarantee(mode.sluice);
    if (options.maxBuffered > 0) {
      builder.maxBufferedRecords(options.maxBuffered);
    }
    if (options.pipelineCommitMs > 0) {
      builder.commitInterval(Duration.ofMillis(options.pipelineCommitMs));
    }
    Processor processor = builder.start((r, o) -> o.send(out, r.key(), map(r.value())));
    return new Running() {
      @Override
      public boolean ready() {
        return processor.assignment().size() == options.shards;
      }

      @Override
      public @Nullable Throwable failure() {
        if (!processor.termination().isDone()) {
          return null;
        }
        try {
          processor.termination().join();
          return new IllegalStateException("the processor stopped");
        } catch (RuntimeException e) {
          return e;
        }
      }

      @Override
      public void close() {
        processor.close();
      }
    };
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

  // ------------------------------------------------------------------ steps

  /** Writes the input every throughput step reads: N records, as the client rows send them. */
  private void fill(KafkaClients clients, String input, int n) {
    AtomicLong sent = new AtomicLong();
    AtomicReference<Exception> error = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = clients.producer()) {
      progress.start("kafka pipeline: writing the input", n, sent::get);
      for (int i = 0; i < n; i++) {
        producer.send(
            new ProducerRecord<>(input, workload.key(i), workload.value()),
            (metadata, e) -> {
              if (e != null) {
                error.compareAndSet(null, e);
              }
            });
        sent.lazySet(i + 1);
      }
      producer.flush();
    }
    if (error.get() != null) {
      throw new IllegalStateException("Writing the pipeline input failed", error.get());
    }
    progress.end(String.format(Locale.ROOT, "kafka pipeline: %,d input records written", n));
  }

  private Run throughput(
      KafkaClients clients, Side side, Mode mode, String input, int n, String label)
      throws Exception {
    String output = clients.topic("pipeline-out-" + (++topics));
    try (Observer seen = new Observer(clients, output, n, null)) {
      seen.awaitPositioned(label);
      progress.start(label, n, seen.count::get);
      long cpu = Workload.cpuNanos();
      long started = System.nanoTime();
      try (Running pipeline = side.start(mode, input, output, group(mode))) {
        seen.await(pipeline, label, TimeUnit.MINUTES.toNanos(5));
        cpu = Workload.cpuNanos() - cpu;
      }
      long counted = n - seen.firstBatch;
      long nanos = seen.last - seen.first;
      // With every output in the first transaction (tiny runs), only the time from the start
      // says anything.
      double rate =
          counted <= 0 || nanos <= 0 ? n / ((seen.last - started) / 1e9) : counted / (nanos / 1e9);
      double cpuMicros = cpu / 1e3 / n;
      progress.end(
          String.format(
              Locale.ROOT,
              "%s: %,d records, %s rec/s after the first %,d, %.2f µs CPU/record",
              label,
              n,
              Table.count(rate),
              seen.firstBatch,
              cpuMicros));
      return new Run(rate, cpuMicros);
    }
  }

  private Histogram latency(KafkaClients clients, Side side, Mode mode, String label)
      throws Exception {
    int n = options.latencyRecords;
    int id = ++topics;
    String input = clients.topic("pipeline-latency-in-" + id);
    String output = clients.topic("pipeline-latency-out-" + id);
    Histogram histogram = new Histogram(3);
    ConcurrentHistogram stage = new ConcurrentHistogram(3);
    Histogram fromMap;
    String tail;
    try (Observer seen = new Observer(clients, output, n, histogram);
        Running pipeline = side.start(mode, input, output, group(mode));
        KafkaProducer<byte[], byte[]> producer = clients.producer()) {
      seen.awaitPositioned(label);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!pipeline.ready()) {
        if (pipeline.failure() != null) {
          throw new IllegalStateException(label + ": the pipeline stopped", pipeline.failure());
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(label + ": not assigned every input partition in 60 s");
        }
        Thread.sleep(20);
      }
      // Let the first fetch start, so the first records do not measure the group join.
      Thread.sleep(500);
      progress.start(label, n, seen.count::get);
      toMap = stage;
      Steps.pace(
          n,
          options.latencyRate,
          i -> producer.send(new ProducerRecord<>(input, workload.key(i), workload.value())));
      producer.flush();
      seen.await(pipeline, label, TimeUnit.MINUTES.toNanos(2));
      fromMap = seen.fromMap;
      tail = seen.tailTimes(histogram.getValueAtPercentile(99));
    } finally {
      toMap = null;
    }
    progress.end(
        String.format(
            Locale.ROOT,
            "%s: %,d records, p50 %.2f ms, p99 %.2f ms, max %.2f ms; input to the function p50"
                + " %.2f, p99 %.2f, max %.2f ms; function to the reader p50 %.2f, p99 %.2f, max"
                + " %.2f ms; the slowest 1%% sent at %s",
            label,
            histogram.getTotalCount(),
            millis(histogram, 50),
            millis(histogram, 99),
            histogram.getMaxValue() / 1000.0,
            millis(stage, 50),
            millis(stage, 99),
            stage.getMaxValue() / 1000.0,
            millis(fromMap, 50),
            millis(fromMap, 99),
            fromMap.getMaxValue() / 1000.0,
            tail));
    return histogram;
  }

  private String group(Mode mode) {
    return "bench-"
        + run
        + "-pipeline-"
        + mode.name().toLowerCase(Locale.ROOT)
        + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Reads an output topic from the start, as a downstream consumer does ({@code read_committed}),
   * on a thread of its own, until it has seen N records.
   */
  private final class Observer implements AutoCloseable {
    final AtomicLong count = new AtomicLong();

    /** Latency steps: from the function's run (stamped by {@link #map}) until seen here. */
    final Histogram fromMap = new Histogram(3);

    /** Latency steps: each output's send time and latency, to tell when the slowest were sent. */
    final long[] sentAt;

    final long[] latencyOf;
    int tailSeen;

    private final CountDownLatch positioned = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stop;
    // Written by the observer thread before done counts down.
    long first;
    long last;
    long firstBatch;

    Observer(KafkaClients clients, String topic, int n, @Nullable Histogram histogram) {
      sentAt = new long[histogram == null ? 0 : n];
      latencyOf = new long[histogram == null ? 0 : n];
      thread =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> consumer = clients.observer()) {
                  List<TopicPartition> partitions = new ArrayList<>();
                  for (int p = 0; p < options.shards; p++) {
                    partitions.add(new TopicPartition(topic, p));
                  }
                  consumer.assign(partitions);
                  consumer.seekToBeginning(partitions);
                  partitions.forEach(consumer::position);
                  positioned.countDown();
                  long seen = 0;
                  while (seen < n && !stop) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    if (records.isEmpty()) {
                      continue;
                    }
                    long now = System.nanoTime();
                    if (first == 0) {
                      first = now;
                      firstBatch = records.count();
                    }
                    if (histogram != null) {
                      for (var r : records) {
                        histogram.recordValue(Steps.micros(now, r.value()));
                        if (tailSeen < sentAt.length) {
                          sentAt[tailSeen] = Workload.sentNanos(r.value());
                          latencyOf[tailSeen++] = Steps.micros(now, r.value());
                        }
                        if (r.value().length >= 17) {
                          fromMap.recordValue(Math.max(0, (now - mappedNanos(r.value())) / 1000));
                        }
                      }
                    }
                    seen += records.count();
                    count.lazySet(seen);
                    last = now;
                  }
                } catch (Throwable e) {
                  failure.set(e);
                } finally {
                  positioned.countDown();
                  done.countDown();
                }
              },
              "bench-pipeline-observer");
      thread.setDaemon(true);
      thread.start();
    }

    void awaitPositioned(String label) throws InterruptedException {
      if (!positioned.await(60, TimeUnit.SECONDS) || failure.get() != null) {
        throw new IllegalStateException(
            label + ": the output's reader did not start", failure.get());
      }
    }

    /**
     * When the slowest 1% were sent: the count of outputs at or above {@code p99Micros} per 250 ms
     * of sending, from the first send (e.g. "0.00s:80 2.50s:20").
     */
    String tailTimes(long p99Micros) {
      long start = Long.MAX_VALUE;
      for (int i = 0; i < tailSeen; i++) {
        start = Math.min(start, sentAt[i]);
      }
      java.util.TreeMap<Long, Integer> buckets = new java.util.TreeMap<>();
      for (int i = 0; i < tailSeen; i++) {
        if (latencyOf[i] >= p99Micros) {
          buckets.merge((sentAt[i] - start) / 250_000_000L, 1, Integer::sum);
        }
      }
      StringBuilder b = new StringBuilder();
      buckets.forEach((k, v) -> b.append(String.format(Locale.ROOT, "%.2fs:%d ", k * 0.25, v)));
      return b.toString().trim();
    }

    /** Waits until N records were seen; fails if the pipeline stops or time runs out. */
    void await(Running pipeline, String label, long nanos) throws InterruptedException {
      long deadline = System.nanoTime() + nanos;
      while (!done.await(100, TimeUnit.MILLISECONDS)) {
        Throwable stopped = pipeline.failure();
        if (stopped != null) {
          throw new IllegalStateException(label + ": the pipeline stopped", stopped);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              label + ": only " + count.get() + " outputs seen before the timeout");
        }
      }
      if (failure.get() != null) {
        throw new IllegalStateException(label + ": the output's reader failed", failure.get());
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  /** The time {@link #map} ran, stamped in bytes 8 to 15 of its output. */
  private static long mappedNanos(byte[] v) {
    long n = 0;
    for (int i = 8; i < 16; i++) {
      n = (n << 8) | (v[i] & 0xFF);
    }
    return n;
  }

  /** Kafka Streams' version, from the file its jar carries. */
  private static String streamsVersion() {
    Properties p = new Properties();
    try (java.io.InputStream in =
        KafkaStreams.class.getResourceAsStream("/kafka/kafka-streams-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // Unknown then.
    }
    return p.getProperty("version", "(unknown version)");
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // A temporary directory: left for the system to clean.
    }
  }
}
