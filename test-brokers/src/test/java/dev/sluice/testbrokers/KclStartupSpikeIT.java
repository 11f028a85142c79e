package dev.sluice.testbrokers;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.StreamConfig;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.InvalidStateException;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.leases.HierarchicalShardSyncer;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.leases.LeaseManagementFactory;
import software.amazon.kinesis.leases.dynamodb.DynamoDBLeaseSerializer;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.metrics.NullMetricsScope;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * Research spike: how soon after start does KCL 3.5.1 deliver its first record on kinesis-local and
 * DynamoDB Local, and what makes it fast? Findings are written up in {@code KCL-FAST-START.md}.
 *
 * <p>The default run checks the fastest recipe; {@code -Dsluice.kcl.spike=all} also measures the
 * slower ones for comparison (they take a minute or more).
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("KCL 3.5.1 start-up on the emulator")
class KclStartupSpikeIT {

  private static final int RECORDS = 20;
  private static final InitialPositionInStreamExtended TRIM_HORIZON =
      InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON);

  /** What Sluice does before starting the Scheduler. */
  enum Preparation {
    /** Nothing: the KCL creates the lease table and GSI and syncs shards itself. */
    NONE,
    /** Lease table with the {@code LeaseOwnerToLeaseKeyIndex} GSI created up front. */
    TABLE,
    /** Table plus one unowned lease per open shard, checkpoint TRIM_HORIZON. */
    TABLE_AND_LEASES,
    /** Table plus leases already owned by the starting worker. */
    TABLE_AND_OWNED_LEASES,
    /** Table plus leases written by the KCL's own shard syncer, run once before the Scheduler. */
    TABLE_AND_KCL_SYNCED_LEASES
  }

  private static KinesisAsyncClient kinesis;
  private static DynamoDbAsyncClient dynamo;
  private static CloudWatchAsyncClient cloudWatch;

  @BeforeAll
  static void clients(KinesisEmulator kinesisEmulator, DynamoDbLocal dynamoDbLocal) {
    StaticCredentialsProvider credentials =
        StaticCredentialsProvider.create(
            AwsBasicCredentials.create(
                kinesisEmulator.accessKeyId(), kinesisEmulator.secretAccessKey()));
    Region region = Region.of(kinesisEmulator.region());
    kinesis =
        KinesisAsyncClient.builder()
            .endpointOverride(kinesisEmulator.endpoint())
            .region(region)
            .credentialsProvider(credentials)
            .httpClientBuilder(NettyNioAsyncHttpClient.builder())
            .build();
    dynamo =
        DynamoDbAsyncClient.builder()
            .endpointOverride(dynamoDbLocal.endpoint())
            .region(region)
            .credentialsProvider(credentials)
            .httpClientBuilder(NettyNioAsyncHttpClient.builder())
            .build();
    // Never called with NullMetricsFactory; points at a loopback port nothing listens on, so a
    // call would fail fast instead of reaching AWS.
    cloudWatch =
        CloudWatchAsyncClient.builder()
            .endpointOverride(URI.create("http://127.0.0.1:9"))
            .region(region)
            .credentialsProvider(credentials)
            .httpClientBuilder(NettyNioAsyncHttpClient.builder())
            .build();
  }

  @AfterAll
  static void closeClients() {
    kinesis.close();
    dynamo.close();
    cloudWatch.close();
  }

  @Test
  @DisplayName("delivers the first record within 10 s with the lease table and leases prepared")
  void fastStart() throws Exception {
    Timing timing = measure(Preparation.TABLE_AND_LEASES);
    assertThat(timing.graceful).isTrue();
    assertThat(timing.firstRecord).isLessThan(Duration.ofSeconds(10));
    assertThat(timing.shutdown).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  @EnabledIfSystemProperty(named = "sluice.kcl.spike", matches = "all")
  @DisplayName("(comparison) start-up with each kind of preparation")
  void compare() throws Exception {
    Map<Preparation, Timing> timings = new HashMap<>();
    for (Preparation preparation : Preparation.values()) {
      timings.put(preparation, measure(preparation));
    }
    timings.forEach((p, t) -> System.out.printf("[kcl-spike] %-24s %s%n", p, t));
  }

  private Timing measure(Preparation preparation) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String stream = "kcl-spike-" + suffix;
    String application = "kcl-spike-app-" + suffix;
    String worker = "worker-" + suffix;

    createStream(stream, 2);
    List<String> sent = putRecords(stream, "record-");
    if (preparation != Preparation.NONE) {
      createLeaseTable(application);
    }
    if (preparation == Preparation.TABLE_AND_LEASES
        || preparation == Preparation.TABLE_AND_OWNED_LEASES) {
      seedLeases(
          application, stream, preparation == Preparation.TABLE_AND_OWNED_LEASES ? worker : null);
    }
    if (preparation == Preparation.TABLE_AND_KCL_SYNCED_LEASES) {
      syncLeasesWithKcl(configs(stream, application, worker, new Processor.Shared(0)));
    }
    Timing timing = consume(stream, application, worker, sent);
    System.out.printf("[kcl-spike] %s: %s%n", preparation, timing);
    return timing;
  }

  @Test
  @DisplayName("a restarted consumer (new worker id) resumes after its checkpoints within 10 s")
  void restart() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String stream = "kcl-spike-" + suffix;
    String application = "kcl-spike-app-" + suffix;
    createStream(stream, 2);
    List<String> first = putRecords(stream, "first-");
    createLeaseTable(application);
    seedLeases(application, stream, null);
    consume(stream, application, "worker-a-" + suffix, first);

    List<String> second = putRecords(stream, "second-");
    Timing timing = consume(stream, application, "worker-b-" + suffix, second);
    System.out.printf("[kcl-spike] RESTART (new worker id): %s%n", timing);
    assertThat(timing.firstRecord).isLessThan(Duration.ofSeconds(10));
  }

  /**
   * Starts a tuned Scheduler, waits for exactly {@code expected} (no redelivery of anything
   * checkpointed before), shuts it down gracefully and reports how long each step took.
   */
  private Timing consume(String stream, String application, String worker, List<String> expected)
      throws Exception {
    Processor.Shared shared = new Processor.Shared(expected.size());
    ConfigsBuilder configs = configs(stream, application, worker, shared);
    long started = System.nanoTime();
    Scheduler scheduler =
        new Scheduler(
            configs.checkpointConfig(),
            configs
                .coordinatorConfig()
                .parentShardPollIntervalMillis(500)
                .shardConsumerDispatchPollIntervalMillis(100)
                .schedulerInitializationBackoffTimeMillis(200)
                .skipShardSyncAtWorkerInitializationIfLeasesExist(true),
            tunedLeaseManagement(configs.leaseManagementConfig()),
            configs.lifecycleConfig().taskBackoffTimeMillis(200),
            configs
                .metricsConfig()
                .metricsLevel(MetricsLevel.NONE)
                .metricsFactory(new NullMetricsFactory()),
            configs.processorConfig(),
            configs
                .retrievalConfig()
                .retrievalSpecificConfig(
                    new PollingConfig(stream, kinesis).idleTimeBetweenReadsInMillis(200)));
    Thread thread = new Thread(scheduler, "kcl-scheduler-" + worker);
    thread.setDaemon(true);
    thread.start();
    boolean graceful = false;
    try {
      assertThat(shared.firstRecord.await(120, TimeUnit.SECONDS))
          .as("first record within 120 s")
          .isTrue();
      Duration firstRecord = Duration.ofNanos(shared.firstRecordNanos.get() - started);
      assertThat(shared.allRecords.await(60, TimeUnit.SECONDS)).as("all records").isTrue();
      Duration allRecords = Duration.ofNanos(System.nanoTime() - started);

      long shutdownStarted = System.nanoTime();
      graceful = scheduler.startGracefulShutdown().get(30, TimeUnit.SECONDS);
      Duration shutdown = Duration.ofNanos(System.nanoTime() - shutdownStarted);
      thread.join(TimeUnit.SECONDS.toMillis(10));
      assertThat(shared.received).containsExactlyInAnyOrderElementsOf(expected);
      return new Timing(firstRecord, allRecords, shutdown, graceful);
    } finally {
      if (!graceful) {
        scheduler.shutdown();
      }
    }
  }

  private static ConfigsBuilder configs(
      String stream, String application, String worker, Processor.Shared shared) {
    return new ConfigsBuilder(
        new SingleStreamTracker(stream, TRIM_HORIZON),
        application,
        kinesis,
        dynamo,
        cloudWatch,
        worker,
        () -> new Processor(shared));
  }

  /**
   * Runs the KCL's own shard sync once, the way the Scheduler would after its random wait, so the
   * leases (also for closed parent shards of a resharded stream) are exactly what the KCL writes.
   * Uses KCL classes marked {@code @KinesisClientInternalApi}.
   */
  private static void syncLeasesWithKcl(ConfigsBuilder configs) throws Exception {
    LeaseManagementFactory factory =
        configs
            .leaseManagementConfig()
            .leaseManagementFactory(new DynamoDBLeaseSerializer(), false);
    StreamConfig streamConfig = configs.streamTracker().streamConfigList().get(0);
    new HierarchicalShardSyncer()
        .checkAndCreateLeaseForNewShards(
            factory.createShardDetector(streamConfig),
            factory.createLeaseRefresher(),
            TRIM_HORIZON,
            new NullMetricsScope(),
            false,
            true);
  }

  private static LeaseManagementConfig tunedLeaseManagement(LeaseManagementConfig config) {
    config
        .failoverTimeMillis(2000)
        .shardSyncIntervalMillis(1000)
        .leaseAssignmentIntervalMillis(500L)
        .dynamoDbLockBasedLeaderLeaseDurationInMillis(10_000)
        .dynamoDbLockBasedLeaderHeartbeatPeriodInMillis(1000);
    config
        .workerUtilizationAwareAssignmentConfig()
        .inMemoryWorkerMetricsCaptureFrequencyMillis(100)
        .workerMetricsReporterFreqInMillis(500);
    return config;
  }

  private static void createStream(String stream, int shards) throws Exception {
    kinesis.createStream(b -> b.streamName(stream).shardCount(shards)).get();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (kinesis
            .describeStreamSummary(b -> b.streamName(stream))
            .get()
            .streamDescriptionSummary()
            .streamStatus()
        != StreamStatus.ACTIVE) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static List<String> putRecords(String stream, String prefix) throws Exception {
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      String value = prefix + i;
      String key = "key-" + i;
      kinesis
          .putRecord(
              b ->
                  b.streamName(stream)
                      .partitionKey(key)
                      .data(SdkBytes.fromString(value, StandardCharsets.UTF_8)))
          .get();
      sent.add(value);
    }
    return sent;
  }

  /** The lease table as KCL 3.5.1 creates it, including the GSI it otherwise waits 10 s for. */
  private static void createLeaseTable(String application) throws Exception {
    dynamo
        .createTable(
            b ->
                b.tableName(application)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .keySchema(key("leaseKey", KeyType.HASH))
                    .attributeDefinitions(
                        attribute("leaseKey", ScalarAttributeType.S),
                        attribute("leaseOwner", ScalarAttributeType.S))
                    .globalSecondaryIndexes(
                        GlobalSecondaryIndex.builder()
                            .indexName("LeaseOwnerToLeaseKeyIndex")
                            .keySchema(
                                key("leaseOwner", KeyType.HASH), key("leaseKey", KeyType.RANGE))
                            .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY))
                            .build()))
        .get();
  }

  /**
   * What the KCL's shard sync writes into an empty lease table for TRIM_HORIZON: one lease per
   * shard that ListShards returns with the start position's filter, open or closed.
   */
  private static void seedLeases(String application, String stream, String owner) throws Exception {
    List<Shard> shards =
        kinesis
            .listShards(
                b -> b.streamName(stream).shardFilter(f -> f.type(ShardFilterType.AT_TRIM_HORIZON)))
            .get()
            .shards();
    for (Shard shard : shards) {
      Map<String, AttributeValue> item = new HashMap<>();
      item.put("leaseKey", AttributeValue.fromS(shard.shardId()));
      item.put("leaseCounter", AttributeValue.fromN("0"));
      item.put("ownerSwitchesSinceCheckpoint", AttributeValue.fromN("0"));
      item.put("checkpoint", AttributeValue.fromS("TRIM_HORIZON"));
      item.put("checkpointSubSequenceNumber", AttributeValue.fromN("0"));
      item.put("startingHashKey", AttributeValue.fromS(shard.hashKeyRange().startingHashKey()));
      item.put("endingHashKey", AttributeValue.fromS(shard.hashKeyRange().endingHashKey()));
      item.put("entityType", AttributeValue.fromS("LEASE"));
      List<String> parents = new ArrayList<>();
      if (shard.parentShardId() != null) {
        parents.add(shard.parentShardId());
      }
      if (shard.adjacentParentShardId() != null) {
        parents.add(shard.adjacentParentShardId());
      }
      if (!parents.isEmpty()) {
        item.put("parentShardId", AttributeValue.fromSs(parents));
      }
      if (owner != null) {
        item.put("leaseOwner", AttributeValue.fromS(owner));
      }
      dynamo
          .putItem(
              b ->
                  b.tableName(application)
                      .item(item)
                      .conditionExpression("attribute_not_exists(leaseKey)"))
          .get();
    }
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }

  private static AttributeDefinition attribute(String name, ScalarAttributeType type) {
    return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
  }

  private record Timing(
      Duration firstRecord, Duration allRecords, Duration shutdown, boolean graceful) {
    @Override
    public String toString() {
      return String.format(
          "first record %d ms, all records %d ms, graceful shutdown %d ms (%s)",
          firstRecord.toMillis(),
          allRecords.toMillis(),
          shutdown.toMillis(),
          graceful ? "completed" : "not completed");
    }
  }

  /** Records what arrives and checkpoints as the KCL requires at shard end and shutdown. */
  static final class Processor implements ShardRecordProcessor {

    static final class Shared {
      final CountDownLatch firstRecord = new CountDownLatch(1);
      final CountDownLatch allRecords;
      final AtomicLong firstRecordNanos = new AtomicLong();
      final List<String> received = new CopyOnWriteArrayList<>();

      Shared(int expected) {
        allRecords = new CountDownLatch(expected);
      }
    }

    private final Shared shared;

    Processor(Shared shared) {
      this.shared = shared;
    }

    @Override
    public void initialize(InitializationInput input) {}

    @Override
    public void processRecords(ProcessRecordsInput input) {
      if (input.records().isEmpty()) {
        return;
      }
      shared.firstRecordNanos.compareAndSet(0, System.nanoTime());
      shared.firstRecord.countDown();
      for (KinesisClientRecord record : input.records()) {
        shared.received.add(StandardCharsets.UTF_8.decode(record.data()).toString());
        shared.allRecords.countDown();
      }
      try {
        input.checkpointer().checkpoint();
      } catch (InvalidStateException | ShutdownException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void leaseLost(LeaseLostInput input) {}

    @Override
    public void shardEnded(ShardEndedInput input) {
      try {
        input.checkpointer().checkpoint();
      } catch (InvalidStateException | ShutdownException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void shutdownRequested(ShutdownRequestedInput input) {
      try {
        input.checkpointer().checkpoint();
      } catch (InvalidStateException | ShutdownException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
