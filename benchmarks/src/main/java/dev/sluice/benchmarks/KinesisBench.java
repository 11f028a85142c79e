package dev.sluice.benchmarks;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.testbrokers.KinesisEmulator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Raw {@code KinesisAsyncClient} against the Sluice producer and consumer on the {@code kinesis}
 * backend, on the kinesis-local emulator. Only ratios are reported: the emulator's speed says
 * nothing about AWS, but the same emulator under both sides says what Sluice costs.
 *
 * <ul>
 *   <li>produce: raw is the straightforward loop, one {@code PutRecords} of {@code --kinesis-batch}
 *       records at a time, failed entries sent again; Sluice is {@code send} per record, then
 *       {@code flush};
 *   <li>consume: raw polls {@code GetRecords} over every shard from {@code TRIM_HORIZON} in one
 *       thread; Sluice is a standalone consumer with a handler. Both timed from start to the last
 *       record.
 * </ul>
 */
final class KinesisBench {
  private final Options options;
  private final Workload workload;
  private final Progress progress;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  KinesisBench(Options options, Workload workload, Progress progress) {
    this.options = options;
    this.workload = workload;
    this.progress = progress;
  }

  void run(Table table) throws Exception {
    boolean sluiceReady = Backends.available("kinesis");
    Table.Row produce =
        table
            .row("kinesis", "produce records/s")
            .ratioOnly()
            .target(Table.Target.ratioAtLeast(1.0));
    Table.Row consume = table.row("kinesis", "consume records/s").ratioOnly();
    if (!sluiceReady) {
      produce.pending("sluice-kinesis not on the class path yet");
      consume.pending("sluice-kinesis not on the class path yet");
    }
    Table.Row aggregatedRecords =
        table.row("kinesis", "aggregation: Kinesis records per 1M user records (off → on)");
    Table.Row aggregatedUnits =
        table.row("kinesis", "aggregation: PUT payload units per 1M user records (off → on)");
    Table.Row aggregatedProduce =
        table
            .row("kinesis", "aggregation: produce records/s (off → on)")
            .ratioOnly()
            .target(Table.Target.ratioAtLeast(1.0));
    int n = options.kinesisRecords;
    table.note(
        "kinesis aggregation rows: the 'Raw client' column is Sluice without aggregation, the"
            + " 'Sluice' column Sluice with sluice.kinesis.aggregation=true; counts are read back"
            + " from the streams (a PUT payload unit is each started 25 KiB of data + partition"
            + " key of a Kinesis record).");
    table.note(
        String.format(
            Locale.ROOT,
            "kinesis: kinesis-local emulator, %,d records per run, %d shards, PutRecords of %d;"
                + " ratios only.",
            n,
            options.shards,
            options.kinesisBatch));
    progress.note("kinesis: starting the kinesis-local emulator");
    try (KinesisEmulator emulator = KinesisEmulator.startNew();
        KinesisAsyncClient client = client(emulator);
        Sluice sluice = sluiceReady ? openSluice(emulator, false) : null;
        Sluice aggregating = sluiceReady ? openSluice(emulator, true) : null) {
      if (options.warmupRecords > 0) {
        int w = Math.min(options.warmupRecords, n);
        String s = stream(client, "warmup-raw");
        produceRaw(client, s, w, "kinesis warm-up raw produce");
        consumeRaw(client, s, w, "kinesis warm-up raw consume");
        if (sluice != null) {
          String ss = stream(client, "warmup-sluice");
          produceSluice(sluice, ss, w, "kinesis warm-up sluice produce");
          consumeSluice(sluice, s, w, "kinesis warm-up sluice consume");
          delete(client, ss);
        }
        delete(client, s);
      }
      for (int round = 1; round <= options.rounds; round++) {
        String label = "kinesis round " + round + "/" + options.rounds;
        String raw = stream(client, "produce-raw-" + round);
        produce.raw.add(produceRaw(client, raw, n, label + " raw produce"));
        if (sluice != null) {
          String s = stream(client, "produce-sluice-" + round);
          produce.sluice.add(produceSluice(sluice, s, n, label + " sluice produce"));
          delete(client, s);
        }
        consume.raw.add(consumeRaw(client, raw, n, label + " raw consume"));
        if (sluice != null) {
          consume.sluice.add(consumeSluice(sluice, raw, n, label + " sluice consume"));
        }
        delete(client, raw);
        if (sluice != null) {
          // Alternate which goes first, as for raw and Sluice.
          boolean plainFirst = round % 2 == 1;
          for (int side = 0; side < 2; side++) {
            boolean aggregate = (side == 0) != plainFirst;
            String s = stream(client, (aggregate ? "agg-on-" : "agg-off-") + round);
            double rate =
                produceSluice(
                    aggregate ? aggregating : sluice,
                    s,
                    n,
                    label + (aggregate ? " aggregated" : " not aggregated") + " produce");
            long[] counts = kinesisRecordsAndUnits(client, s);
            double perMillion = 1_000_000.0 / n;
            (aggregate ? aggregatedProduce.sluice : aggregatedProduce.raw).add(rate);
            (aggregate ? aggregatedRecords.sluice : aggregatedRecords.raw)
                .add(counts[0] * perMillion);
            (aggregate ? aggregatedUnits.sluice : aggregatedUnits.raw).add(counts[1] * perMillion);
            delete(client, s);
          }
        }
      }
    }
  }

  /** Kinesis records in a stream and their PUT payload units (25 KiB each, started). */
  private static long[] kinesisRecordsAndUnits(KinesisAsyncClient client, String stream) {
    long records = 0;
    long units = 0;
    for (software.amazon.awssdk.services.kinesis.model.Shard shard :
        client.listShards(b -> b.streamName(stream)).join().shards()) {
      String iterator =
          client
              .getShardIterator(
                  b ->
                      b.streamName(stream)
                          .shardId(shard.shardId())
                          .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
              .join()
              .shardIterator();
      while (iterator != null) {
        String it = iterator;
        GetRecordsResponse response =
            client.getRecords(b -> b.shardIterator(it).limit(10_000)).join();
        for (software.amazon.awssdk.services.kinesis.model.Record r : response.records()) {
          long bytes =
              r.data().asByteArray().length
                  + r.partitionKey().getBytes(StandardCharsets.UTF_8).length;
          records++;
          units += (bytes + 25 * 1024 - 1) / (25 * 1024);
        }
        if (response.records().isEmpty()) {
          break;
        }
        iterator = response.nextShardIterator();
      }
    }
    return new long[] {records, units};
  }

  private static KinesisAsyncClient client(KinesisEmulator emulator) {
    return KinesisAsyncClient.builder()
        .endpointOverride(emulator.endpoint())
        .region(Region.of(emulator.region()))
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(emulator.accessKeyId(), emulator.secretAccessKey())))
        .build();
  }

  private static Sluice openSluice(KinesisEmulator emulator, boolean aggregation) {
    return Sluice.builder()
        .ignoreEnvironment()
        .backend("kinesis")
        .set("sluice.kinesis.endpoint", emulator.endpoint().toString())
        // A producer and a consumer without a group: no DynamoDB, so no DynamoDB endpoint.
        .set("sluice.kinesis.allow.split.endpoints", "true")
        .set("sluice.kinesis.region", emulator.region())
        .set("sluice.kinesis.credentials", "static")
        .set("sluice.kinesis.access.key.id", emulator.accessKeyId())
        .set("sluice.kinesis.secret.access.key", emulator.secretAccessKey())
        .set("sluice.kinesis.aggregation", Boolean.toString(aggregation))
        .open();
  }

  private String stream(KinesisAsyncClient client, String what) throws InterruptedException {
    String name = "bench-" + run + "-" + what;
    client.createStream(b -> b.streamName(name).shardCount(options.shards)).join();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      StreamStatus status =
          client
              .describeStreamSummary(b -> b.streamName(name))
              .join()
              .streamDescriptionSummary()
              .streamStatus();
      if (status == StreamStatus.ACTIVE) {
        return name;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Stream " + name + " is still " + status + " after 60 s");
      }
      Thread.sleep(50);
    }
  }

  private static void delete(KinesisAsyncClient client, String stream) {
    client.deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true)).join();
  }

  // ------------------------------------------------------------------ produce

  private double produceRaw(KinesisAsyncClient client, String stream, int n, String label) {
    AtomicLong sent = new AtomicLong();
    progress.start(label, n, sent::get);
    long start = System.nanoTime();
    int batch = options.kinesisBatch;
    for (int from = 0; from < n; from += batch) {
      List<PutRecordsRequestEntry> pending = new ArrayList<>(batch);
      for (int i = from; i < Math.min(n, from + batch); i++) {
        pending.add(
            PutRecordsRequestEntry.builder()
                .partitionKey(workload.keyString(i))
                .data(SdkBytes.fromByteArrayUnsafe(workload.value()))
                .build());
      }
      int attempts = 0;
      while (!pending.isEmpty()) {
        if (++attempts > 20) {
          throw new IllegalStateException(label + ": PutRecords kept failing");
        }
        List<PutRecordsRequestEntry> request = pending;
        PutRecordsResponse response =
            client.putRecords(b -> b.streamName(stream).records(request)).join();
        pending = new ArrayList<>();
        List<PutRecordsResultEntry> results = response.records();
        for (int i = 0; i < results.size(); i++) {
          if (results.get(i).errorCode() != null) {
            pending.add(request.get(i));
          }
        }
      }
      sent.lazySet(Math.min(n, from + batch));
    }
    return done(label, n, System.nanoTime() - start);
  }

  private double produceSluice(Sluice sluice, String stream, int n, String label) {
    try (Producer<byte[], byte[]> producer = sluice.producer(stream)) {
      return done(label, n, workload.sendAll(producer, n, progress, label));
    }
  }

  // ------------------------------------------------------------------ consume

  private double consumeRaw(KinesisAsyncClient client, String stream, int n, String label)
      throws InterruptedException {
    AtomicLong seen = new AtomicLong();
    progress.start(label, n, seen::get);
    long start = System.nanoTime();
    List<Shard> shards = client.listShards(b -> b.streamName(stream)).join().shards();
    String[] iterators = new String[shards.size()];
    for (int i = 0; i < iterators.length; i++) {
      String shardId = shards.get(i).shardId();
      iterators[i] =
          client
              .getShardIterator(
                  b ->
                      b.streamName(stream)
                          .shardId(shardId)
                          .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
              .join()
              .shardIterator();
    }
    long count = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (count < n) {
      boolean any = false;
      for (int i = 0; i < iterators.length; i++) {
        String iterator = iterators[i];
        if (iterator == null) {
          continue;
        }
        GetRecordsResponse response =
            client.getRecords(b -> b.shardIterator(iterator).limit(10_000)).join();
        count += response.records().size();
        any |= !response.records().isEmpty();
        iterators[i] = response.nextShardIterator();
      }
      seen.lazySet(count);
      if (!any) {
        Thread.sleep(10);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(label + ": only " + count + " of " + n + " in 5 min");
      }
    }
    return done(label, n, System.nanoTime() - start);
  }

  private double consumeSluice(Sluice sluice, String stream, int n, String label)
      throws InterruptedException {
    AtomicLong handled = new AtomicLong();
    CountDownLatch all = new CountDownLatch(1);
    progress.start(label, n, handled::get);
    long start = System.nanoTime();
    try (Consumer<byte[], byte[]> consumer =
        options
            .consumer(sluice.consumer(stream))
            .startPosition(StartPosition.earliest())
            .start(
                r -> {
                  if (handled.incrementAndGet() == n) {
                    all.countDown();
                  }
                })) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (!all.await(100, TimeUnit.MILLISECONDS)) {
        if (consumer.termination().isDone()) {
          consumer.termination().join();
          throw new IllegalStateException(label + ": the consumer stopped");
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(label + ": timed out");
        }
      }
      return done(label, n, System.nanoTime() - start);
    }
  }

  private double done(String label, int n, long nanos) {
    double rate = n / (nanos / 1e9);
    progress.end(
        String.format(
            Locale.ROOT,
            "%s: %,d records in %.3f s, %s rec/s (emulator)",
            label,
            n,
            nanos / 1e9,
            Table.count(rate)));
    return rate;
  }
}
