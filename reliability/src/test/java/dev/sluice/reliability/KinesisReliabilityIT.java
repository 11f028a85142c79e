package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testbrokers.KinesisFaultProxy;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@Tag("reliability")
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Reliability on Kinesis (emulator)")
class KinesisReliabilityIT {
  private final KinesisEmulator kinesis;
  private final DynamoDbEmulator dynamo;

  KinesisReliabilityIT(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    this.kinesis = kinesis;
    this.dynamo = dynamo;
  }

  private Sluice open(URI kinesisEndpoint, URI dynamoEndpoint) {
    return open(kinesisEndpoint, dynamoEndpoint, Duration.ofMinutes(2));
  }

  private Sluice open(URI kinesisEndpoint, URI dynamoEndpoint, Duration deliveryTimeout) {
    return open(kinesisEndpoint, dynamoEndpoint, deliveryTimeout, "http2");
  }

  private Sluice open(
      URI kinesisEndpoint, URI dynamoEndpoint, Duration deliveryTimeout, String http) {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(
            KinesisOptions.builder()
                .region(kinesis.region())
                .endpoint(kinesisEndpoint)
                .dynamoDbEndpoint(dynamoEndpoint)
                .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
                .fastGroupTimingsForTests()
                .deliveryTimeout(deliveryTimeout)
                .httpProtocol(http)
                .build()
                .toMap())
        .open();
  }

  private static String fresh(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Two streams of 8,000 records one after the other through one {@link Sluice}; after each, with
   * its consumers closed and the stream deleted, the heap its clients still hold is checked. (Three
   * streams until the suite had to fit the build's time budget; each takes ~13 s, set by the
   * emulator's put rate. {@code -Dsluice.reliability.scale=N} runs 2N.) The group's two members
   * start at the same moment, as in a rolling deployment.
   */
  @Test
  @DisplayName(
      "sustained load on two streams of 8,000 records (the emulator slows as a stream grows), each"
          + " read by a group of two started at once: exact counts, per-key order, no heap retained")
  void sustainedLoad() throws Exception {
    int streams = Scale.times(2);
    List<String> summaries = new ArrayList<>();
    try (Sluice sluice = open(kinesis.endpoint(), dynamo.endpoint())) {
      for (int i = 0; i < streams; i++) {
        LoadRun run = new LoadRun(2, 20, 200, 2, 4, 100, 2_000);
        run.run(sluice, fresh("load"), fresh("group"), Duration.ofMinutes(3));
        summaries.add(run.summary("kinesis stream " + (i + 1)));
        assertThat(run.ledger.failedCount()).isZero();
        assertThat(run.ledger.ackedCount()).isEqualTo(run.total());
        assertThat(run.ledger.missingCount()).isZero();
        assertThat(run.ledger.disorder()).isEmpty();
        assertThat(run.heapRetainedMib()).as("heap retained after the run, MiB").isLessThan(64);
      }
    }
    summaries.forEach(System.out::println);
  }

  @Test
  @DisplayName(
      "the DynamoDB emulator restarted under a consuming KCL group: the worker recovers, every record received in order")
  void leaseStoreRestart(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("dynamodb"));
    try (DynamoDbEmulator leases = DynamoDbEmulator.startPersistent(data);
        Sluice sluice = open(kinesis.endpoint(), leases.endpoint())) {
      String stream = fresh("leases");
      sluice.admin().createStream(stream, StreamSpec.withShards(2));
      Ledger ledger = new Ledger();
      try (Consumer<String, String> consumer =
              sluice
                  .consumer(stream, Serde.string(), Serde.string())
                  .group(fresh("g"))
                  .start(r -> ledger.received(r.value()));
          Producer<String, String> producer =
              sluice.producer(stream, Serde.string(), Serde.string())) {
        KafkaReliabilityIT.await(
            "the group owns the shards",
            Duration.ofSeconds(60),
            () -> consumer.assignment().size() == 2);
        long downFor = 0;
        List<CompletableFuture<SendResult>> batch = new ArrayList<>();
        for (int seq = 0; seq < 150; seq++) {
          if (seq == 50) {
            KafkaReliabilityIT.await(
                "the first records arrived",
                Duration.ofSeconds(60),
                () -> ledger.receivedCount() > 0);
            leases.stop();
            long stopped = System.nanoTime();
            TimeUnit.SECONDS.sleep(
                3); // the lease store stays away while the worker renews and checkpoints
            leases.start();
            downFor = (System.nanoTime() - stopped) / 1_000_000;
          }
          for (int k = 0; k < 10; k++) {
            String key = "k" + k;
            batch.add(ledger.send(producer, key, seq, 40));
          }
          if (seq % 10 == 9) { // 100 records a round trip (was 10: 150 round trips, ~10 s)
            CompletableFuture.allOf(batch.toArray(new CompletableFuture<?>[0])).join();
            batch.clear();
          }
        }
        long restarted = System.nanoTime();
        KafkaReliabilityIT.await(
            "every record received", Duration.ofSeconds(120), () -> ledger.missingCount() == 0);
        System.out.printf(
            "kinesis lease store restart: %s; DynamoDB down %d ms; caught up %.1f s after the last send%n",
            ledger, downFor, (System.nanoTime() - restarted) / 1e9);
        assertThat(consumer.termination()).as("the consumer is still running").isNotDone();
        assertThat(ledger.failedCount()).isZero();
        assertThat(ledger.disorder()).isEmpty();
      }
    }
  }

  @Test
  @DisplayName(
      "throttled PutRecords and GetRecords (ProvisionedThroughputExceededException) are backed off: nothing lost, per-key order kept")
  void throttling() throws Exception {
    String stream = fresh("throttle");
    Ledger ledger = new Ledger();
    // Every second PutRecords call and every third GetRecords call is refused as over the limit.
    try (KinesisFaultProxy proxy =
            new KinesisFaultProxy(kinesis.endpoint())
                .inject("PutRecords", KinesisFaultProxy.THROTTLED, n -> n % 2 == 0)
                .inject("GetRecords", KinesisFaultProxy.THROTTLED, n -> n % 3 == 0);
        // The proxy relays HTTP/1.1 only.
        Sluice sluice =
            open(proxy.endpoint(), dynamo.endpoint(), Duration.ofMinutes(2), "http1.1")) {
      sluice.admin().createStream(stream, StreamSpec.withShards(2));
      try (Consumer<String, String> consumer =
              sluice
                  .consumer(stream, Serde.string(), Serde.string())
                  .start(r -> ledger.received(r.value()));
          Producer<String, String> producer =
              sluice.producer(stream, Serde.string(), Serde.string())) {
        List<CompletableFuture<SendResult>> sends = new ArrayList<>();
        for (int seq = 0; seq < Scale.times(100); seq++) {
          for (int k = 0; k < 20; k++) {
            String key = "k" + k;
            sends.add(ledger.send(producer, key, seq, 40));
          }
        }
        CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0]))
            .exceptionally(e -> null)
            .get(120, TimeUnit.SECONDS);
        KafkaReliabilityIT.await(
            "every record received", Duration.ofSeconds(120), () -> ledger.missingCount() == 0);
      }
      System.out.printf(
          "kinesis throttling: %s; PutRecords calls %d (throttled %d), GetRecords calls %d (throttled %d)%n",
          ledger,
          proxy.calls("PutRecords"),
          proxy.injected("PutRecords"),
          proxy.calls("GetRecords"),
          proxy.injected("GetRecords"));
      assertThat(proxy.injected("PutRecords")).as("PutRecords calls throttled").isGreaterThan(0);
      assertThat(proxy.injected("GetRecords")).as("GetRecords calls throttled").isGreaterThan(0);
      assertThat(ledger.failedCount()).isZero();
      assertThat(ledger.ackedCount()).isEqualTo(ledger.sentCount());
      assertThat(ledger.missingCount()).isZero();
      assertThat(ledger.disorder()).isEmpty();
    }
  }

  @Test
  @DisplayName(
      "an emulator that cannot be reached at start: a clear UNAVAILABLE error, no hang, no thread left behind")
  void unreachableAtStart() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LeftoverThreads threads = new LeftoverThreads("ForkJoinPool", "idle-connection-reaper");
    long start = System.nanoTime();
    SluiceException listError;
    SluiceException sendError;
    URI nowhere = URI.create("http://127.0.0.1:" + port);
    try (Sluice sluice = open(nowhere, nowhere, Duration.ofSeconds(5))) {
      try {
        sluice.admin().listStreams();
        throw new AssertionError("listStreams succeeded against a closed port");
      } catch (SluiceException e) {
        listError = e;
      }
      try (Producer<String, String> p = sluice.producer("any", Serde.string(), Serde.string())) {
        sendError =
            SluiceException.from(p.send("k", "v").handle((ok, e) -> e).get(60, TimeUnit.SECONDS));
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "kinesis unreachable: %s / send: %s after %.1f s%n",
        listError.getMessage(), sendError.getMessage(), seconds);
    assertThat(listError.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(listError.isRetryable()).isTrue();
    assertThat(sendError.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(seconds)
        .as("within the 5 s delivery timeout plus the SDK's own retries")
        .isLessThan(30);
    // Sluice closes the SDK clients in the background; each one's Netty event loops end after a
    // 2 s quiet period. (A producer's batcher once stayed here for good: see RecordBatcher.close.)
    Duration ended = threads.awaitNone(Duration.ofSeconds(15));
    System.out.printf(
        "kinesis unreachable: the clients' threads ended %.1f s after close%n",
        ended.toMillis() / 1e3);
  }
}
