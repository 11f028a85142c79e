package dev.sluice.kinesis;

import dev.sluice.kinesis.internal.KinesisSettings;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Typed settings for the {@code kinesis} backend. They produce the {@code sluice.*} map that {@link
 * dev.sluice.Sluice#open(Map)} takes, so code and configuration files stay interchangeable:
 *
 * <pre>{@code
 * Sluice sluice = Sluice.open(
 *     KinesisOptions.builder()
 *         .region("eu-west-1")
 *         .leaseTablePrefix("orders-service-")
 *         .build()
 *         .toMap());
 * }</pre>
 *
 * <p>Every setting has a key of its own ({@code sluice.kinesis.region}, ...), listed on each
 * method. Settings not given keep the backend's defaults. Static credentials are used only when
 * given here (or in configuration); otherwise the AWS default credentials chain applies.
 */
public final class KinesisOptions {
  /** How consumers receive records. */
  public enum ConsumerType {
    /** {@code GetRecords} polling (default). */
    POLLING,
    /**
     * Enhanced fan-out: {@code SubscribeToShard} over HTTP/2, Kinesis pushing records to a
     * registered stream consumer, for group consumers (the KCL's fan-out, as the stream consumer
     * named after the group) and consumers without a group (see {@link Builder#consumerName}).
     */
    FANOUT
  }

  private final Map<String, String> settings;

  private KinesisOptions(Map<String, String> settings) {
    this.settings = Collections.unmodifiableMap(new TreeMap<>(settings));
  }

  /**
   * Starts the options.
   *
   * @return an empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The settings as configuration keys, including {@code sluice.backend=kinesis}.
   *
   * @return the keys and values, to give to {@code Sluice.builder().properties(...)}
   */
  public Map<String, String> toMap() {
    return settings;
  }

  @Override
  public String toString() {
    Map<String, String> masked = new TreeMap<>(settings);
    masked.computeIfPresent(KinesisSettings.SECRET_ACCESS_KEY, (k, v) -> "******");
    masked.computeIfPresent(KinesisSettings.SESSION_TOKEN, (k, v) -> "******");
    return "KinesisOptions" + masked;
  }

  /** Builds {@link KinesisOptions}. */
  public static final class Builder {
    private final Map<String, String> settings = new TreeMap<>();

    private Builder() {
      settings.put("sluice.backend", "kinesis");
    }

    /**
     * {@code sluice.kinesis.region} (required), e.g. {@code us-east-1}: one the AWS SDK knows, else
     * Sluice refuses to open; any name goes with an {@link #endpoint} override (an emulator).
     *
     * @param region the AWS region
     * @return this builder
     */
    public Builder region(String region) {
      return put(KinesisSettings.REGION, region);
    }

    /**
     * {@code sluice.kinesis.endpoint}: a Kinesis endpoint override, e.g. an emulator.
     *
     * @param endpoint the endpoint URI
     * @return this builder
     */
    public Builder endpoint(URI endpoint) {
      return put(KinesisSettings.ENDPOINT, endpoint.toString());
    }

    /**
     * {@code sluice.kinesis.dynamodb.endpoint}: a DynamoDB endpoint override (lease tables).
     *
     * @param endpoint the endpoint URI
     * @return this builder
     */
    public Builder dynamoDbEndpoint(URI endpoint) {
      return put(KinesisSettings.DYNAMODB_ENDPOINT, endpoint.toString());
    }

    /**
     * {@code sluice.kinesis.allow.split.endpoints=true}: accept an {@link #endpoint} override
     * without a {@link #dynamoDbEndpoint} one, or the reverse. Without it such a configuration is
     * refused when Sluice opens ({@code INVALID_CONFIG}), because group consumers would keep their
     * leases and checkpoints in a different place than the records they read: typically, records in
     * a local emulator and leases in real AWS DynamoDB. Producers and consumers without a group
     * never use DynamoDB, so an application that only uses them may set this with an emulator.
     *
     * @return this builder
     */
    public Builder allowSplitEndpoints() {
      return put(KinesisSettings.ALLOW_SPLIT_ENDPOINTS, "true");
    }

    /**
     * {@code sluice.kinesis.credentials=static} with {@code sluice.kinesis.access.key.id} and
     * {@code sluice.kinesis.secret.access.key}.
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret access key
     * @return this builder
     */
    public Builder staticCredentials(String accessKeyId, String secretAccessKey) {
      put(KinesisSettings.CREDENTIALS, "static");
      put(KinesisSettings.ACCESS_KEY_ID, accessKeyId);
      return put(KinesisSettings.SECRET_ACCESS_KEY, secretAccessKey);
    }

    /**
     * {@code sluice.kinesis.credentials=default}: the AWS default credentials chain.
     *
     * @return this builder
     */
    public Builder defaultCredentials() {
      settings.remove(KinesisSettings.ACCESS_KEY_ID);
      settings.remove(KinesisSettings.SECRET_ACCESS_KEY);
      settings.remove(KinesisSettings.SESSION_TOKEN);
      return put(KinesisSettings.CREDENTIALS, "default");
    }

    /**
     * {@code sluice.kinesis.lease.table.prefix}: a group's KCL lease table is this prefix plus the
     * group name (default: no prefix, the table is named after the group).
     *
     * @param prefix the prefix
     * @return this builder
     */
    public Builder leaseTablePrefix(String prefix) {
      return put(KinesisSettings.LEASE_TABLE_PREFIX, prefix);
    }

    /**
     * {@code sluice.kinesis.consumer.type}: {@code polling} (default, {@code GetRecords}) or {@code
     * fanout} (enhanced fan-out, {@code SubscribeToShard}), for group consumers and consumers
     * without a group alike.
     *
     * <p>With fan-out, a group consumer reads through the KCL as the stream consumer named after
     * its group: the KCL registers it if absent, and it stays registered when members close (the
     * group's other members and its next start use it, as they use its lease table). A consumer
     * without a group subscribes as the stream consumer of {@link #consumerName}.
     *
     * @param type how consumers receive records
     * @return this builder
     */
    public Builder consumerType(ConsumerType type) {
      return put(KinesisSettings.CONSUMER_TYPE, type == ConsumerType.FANOUT ? "fanout" : "polling");
    }

    /**
     * {@code sluice.kinesis.consumer.name}: the stream consumer a fan-out consumer without a group
     * subscribes with. If a stream consumer of that name exists it is used as it is and left
     * registered on close; if not, the consumer registers it, waits for it to turn {@code ACTIVE},
     * and deregisters it when it closes. Without this setting, each such consumer registers a fresh
     * one, {@code sluice-<client id>-<8 random hex digits>}, and deregisters it on close (a process
     * that dies without closing leaves it registered, and billed, until deregistered). Two
     * consumers reading the same shards at the same time need different names: Kinesis allows one
     * subscription per stream consumer and shard. Group consumers always use their group's name.
     *
     * @param name 1 to 128 letters, digits, {@code _}, {@code .} or {@code -}
     * @return this builder
     */
    public Builder consumerName(String name) {
      return put(KinesisSettings.CONSUMER_NAME, name);
    }

    /**
     * {@code sluice.kinesis.fanout.resubscribe.ms}: a fan-out consumer without a group ends each
     * subscription after this long and subscribes again after the last record received, as it does
     * when Kinesis ends one (every five minutes). For tests of that path; 0 (default) leaves it to
     * Kinesis.
     *
     * @param after how long a subscription lasts
     * @return this builder
     */
    public Builder resubscribeEveryForTests(Duration after) {
      return millis(KinesisSettings.RESUBSCRIBE_MS, after);
    }

    /**
     * {@code sluice.kinesis.http.protocol}: {@code http2} (the AWS SDK's default for Kinesis) or
     * {@code http1.1}, for networks whose proxies do not pass HTTP/2. Fan-out needs HTTP/2.
     *
     * @param protocol the protocol
     * @return this builder
     */
    public Builder httpProtocol(String protocol) {
      return put(KinesisSettings.HTTP_PROTOCOL, protocol);
    }

    /**
     * {@code sluice.kinesis.poll.interval.ms}: the pause between reads of a shard that returned
     * less than a full batch (default 200 ms, the 5 reads/s a shard allows).
     *
     * @param interval the interval
     * @return this builder
     */
    public Builder pollInterval(Duration interval) {
      return millis(KinesisSettings.POLL_INTERVAL_MS, interval);
    }

    /**
     * {@code sluice.kinesis.max.batch.records}: records per GetRecords, 1 to 10,000. By default a
     * standalone consumer asks for its batch hint (a handler consumer: 5000 or its {@code
     * maxBufferedRecords}; a pull consumer: its {@code maxPollRecords}); a group consumer for the
     * KCL's own default.
     *
     * @param records records per GetRecords call
     * @return this builder
     */
    public Builder maxBatchRecords(int records) {
      return put(KinesisSettings.MAX_BATCH_RECORDS, Integer.toString(records));
    }

    /**
     * {@code sluice.kinesis.failover.time.ms}: how long a group member's lease lives without
     * renewal before others may take it (default 10 s). Lower means faster failover after a crash
     * and more DynamoDB writes.
     *
     * @param time how long a lease lives unrenewed
     * @return this builder
     */
    public Builder failoverTime(Duration time) {
      return millis(KinesisSettings.FAILOVER_TIME_MS, time);
    }

    /**
     * {@code sluice.kinesis.lease.assignment.interval.ms}: how often the group's leader assigns
     * leases (default 1 s).
     *
     * @param interval the interval
     * @return this builder
     */
    public Builder leaseAssignmentInterval(Duration interval) {
      return millis(KinesisSettings.LEASE_ASSIGNMENT_INTERVAL_MS, interval);
    }

    /**
     * {@code sluice.kinesis.lease.assignment}: {@code lease-count} (default) shares a group's
     * shards evenly by count, so a member that joins gets its share at once; {@code
     * worker-utilization} is the KCL 3 default, which moves leases by the members' CPU and
     * throughput and needs EC2, ECS or EKS to measure them.
     *
     * @param strategy {@code lease-count} or {@code worker-utilization}
     * @return this builder
     */
    public Builder leaseAssignment(String strategy) {
      return put(KinesisSettings.LEASE_ASSIGNMENT, strategy);
    }

    /**
     * {@code sluice.kinesis.shard.sync.interval.ms}: how often the KCL lists shards (60 s).
     *
     * @param interval the interval
     * @return this builder
     */
    public Builder shardSyncInterval(Duration interval) {
      return millis(KinesisSettings.SHARD_SYNC_INTERVAL_MS, interval);
    }

    /**
     * {@code sluice.kinesis.parent.shard.poll.interval.ms}: how often a child shard checks whether
     * its parents are done (default 1 s).
     *
     * @param interval the interval
     * @return this builder
     */
    public Builder parentShardPollInterval(Duration interval) {
      return millis(KinesisSettings.PARENT_SHARD_POLL_INTERVAL_MS, interval);
    }

    /**
     * {@code sluice.kinesis.dispatch.interval.ms}: the KCL scheduler's loop (default 500 ms).
     *
     * @param interval the interval
     * @return this builder
     */
    public Builder dispatchInterval(Duration interval) {
      return millis(KinesisSettings.DISPATCH_INTERVAL_MS, interval);
    }

    /**
     * {@code sluice.kinesis.worker.metrics.capture.interval.ms} and {@code
     * sluice.kinesis.worker.metrics.report.interval.ms}: how often a KCL worker samples and reports
     * its load (defaults 1 s and 30 s); leases are assigned only to workers that have reported.
     *
     * @param capture how often to sample the load
     * @param report how often to report
     * @return this builder
     */
    public Builder workerMetricsIntervals(Duration capture, Duration report) {
      millis(KinesisSettings.WORKER_METRICS_CAPTURE_MS, capture);
      return millis(KinesisSettings.WORKER_METRICS_REPORT_MS, report);
    }

    /**
     * {@code sluice.kinesis.shutdown.timeout.ms}: the longest a group consumer's close waits.
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder shutdownTimeout(Duration timeout) {
      return millis(KinesisSettings.SHUTDOWN_TIMEOUT_MS, timeout);
    }

    /**
     * {@code sluice.kinesis.linger.ms}: how long a producer waits for more records to fill a
     * PutRecords batch (default 5 ms).
     *
     * @param linger the time to wait
     * @return this builder
     */
    public Builder linger(Duration linger) {
      return millis(KinesisSettings.LINGER_MS, linger);
    }

    /**
     * {@code sluice.kinesis.delivery.timeout.ms}: how long a producer retries a record (throttled,
     * unavailable) before failing it (default 120 s).
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder deliveryTimeout(Duration timeout) {
      return millis(KinesisSettings.DELIVERY_TIMEOUT_MS, timeout);
    }

    /**
     * {@code sluice.kinesis.retry.backoff.ms} and {@code sluice.kinesis.retry.backoff.max.ms}: the
     * first and the longest pause between retries (defaults 100 ms and 2 s).
     *
     * @param first the first delay
     * @param max the longest delay
     * @return this builder
     */
    public Builder retryBackoff(Duration first, Duration max) {
      millis(KinesisSettings.RETRY_BACKOFF_MS, first);
      return millis(KinesisSettings.RETRY_BACKOFF_MAX_MS, max);
    }

    /**
     * {@code sluice.kinesis.buffer.max.bytes}: unsent bytes before send blocks (64 MiB).
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder bufferMaxBytes(long bytes) {
      return put(KinesisSettings.BUFFER_MAX_BYTES, Long.toString(bytes));
    }

    /**
     * Whether records carry write ids (default true): envelope version 2, the {@code DEDUPLICATION}
     * capability and {@code ConsumerBuilder.deduplicate()}. False writes version 1 as before, for
     * consumers that only read that version ({@code docs/kinesis-envelope.md}).
     *
     * @param on true to write ids
     * @return this builder
     */
    public Builder writeIds(boolean on) {
      return put(KinesisSettings.WRITE_IDS, Boolean.toString(on));
    }

    /**
     * {@code sluice.kinesis.aggregation}: pack many records into one Kinesis record in the KPL
     * aggregation format (default false), which the KCL, the KPL's deaggregators and Sluice all
     * read. An aggregate holds records bound for one shard only and is put with an explicit hash
     * key in that shard's range, so per-key order and {@code shardFor} stay true; it fills for up
     * to {@link #linger} or until {@link #aggregationMaxBytes}. Fewer Kinesis records and 25 KB PUT
     * payload units for small records; records are read back one by one, with their own key,
     * headers and timestamp. See {@code docs/kinesis-envelope.md}.
     *
     * @param enabled true to aggregate
     * @return this builder
     */
    public Builder aggregation(boolean enabled) {
      return put(KinesisSettings.AGGREGATION, Boolean.toString(enabled));
    }

    /**
     * {@code sluice.kinesis.aggregation.max.bytes}: the largest aggregate, partition key included,
     * 1,024 to 1,048,576 (the Kinesis record limit, the default). A record too large to share an
     * aggregate is sent on its own.
     *
     * @param bytes the largest aggregate in bytes
     * @return this builder
     */
    public Builder aggregationMaxBytes(int bytes) {
      return put(KinesisSettings.AGGREGATION_MAX_BYTES, Integer.toString(bytes));
    }

    /**
     * Fast lease timings for tests on an emulator (first record in about a second, takeover in
     * about two): not for production, where they multiply DynamoDB requests.
     *
     * @return this builder
     */
    public Builder fastGroupTimingsForTests() {
      failoverTime(Duration.ofSeconds(2));
      leaseAssignmentInterval(Duration.ofMillis(500));
      shardSyncInterval(Duration.ofSeconds(1));
      parentShardPollInterval(Duration.ofMillis(200));
      dispatchInterval(Duration.ofMillis(100));
      return workerMetricsIntervals(Duration.ofMillis(100), Duration.ofMillis(500));
    }

    /**
     * The options set so far.
     *
     * @return the options, immutable
     */
    public KinesisOptions build() {
      return new KinesisOptions(settings);
    }

    private Builder millis(String key, Duration value) {
      return put(key, Long.toString(value.toMillis()));
    }

    private Builder put(String key, String value) {
      settings.put(key, Objects.requireNonNull(value, key));
      return this;
    }
  }
}
