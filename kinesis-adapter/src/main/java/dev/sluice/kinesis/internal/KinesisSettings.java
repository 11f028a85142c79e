package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
import dev.sluice.spi.ConfigValues;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.regions.Region;

/** The {@code sluice.kinesis.*} configuration, parsed and checked once when the backend opens. */
public final class KinesisSettings {
  public static final String PREFIX = "sluice.kinesis.";

  public static final String REGION = PREFIX + "region";
  public static final String ENDPOINT = PREFIX + "endpoint";
  public static final String DYNAMODB_ENDPOINT = PREFIX + "dynamodb.endpoint";
  public static final String ALLOW_SPLIT_ENDPOINTS = PREFIX + "allow.split.endpoints";
  public static final String CREDENTIALS = PREFIX + "credentials";
  public static final String ACCESS_KEY_ID = PREFIX + "access.key.id";
  public static final String SECRET_ACCESS_KEY = PREFIX + "secret.access.key";
  public static final String SESSION_TOKEN = PREFIX + "session.token";
  public static final String LEASE_TABLE_PREFIX = PREFIX + "lease.table.prefix";
  public static final String CONSUMER_TYPE = PREFIX + "consumer.type";
  public static final String CONSUMER_NAME = PREFIX + "consumer.name";
  public static final String RESUBSCRIBE_MS = PREFIX + "fanout.resubscribe.ms";
  public static final String HTTP_PROTOCOL = PREFIX + "http.protocol";
  public static final String POLL_INTERVAL_MS = PREFIX + "poll.interval.ms";
  public static final String MAX_BATCH_RECORDS = PREFIX + "max.batch.records";
  public static final String FAILOVER_TIME_MS = PREFIX + "failover.time.ms";
  public static final String LEASE_ASSIGNMENT_INTERVAL_MS = PREFIX + "lease.assignment.interval.ms";
  public static final String LEASE_ASSIGNMENT = PREFIX + "lease.assignment";
  public static final String SHARD_SYNC_INTERVAL_MS = PREFIX + "shard.sync.interval.ms";
  public static final String PARENT_SHARD_POLL_INTERVAL_MS =
      PREFIX + "parent.shard.poll.interval.ms";
  public static final String DISPATCH_INTERVAL_MS = PREFIX + "dispatch.interval.ms";
  public static final String WORKER_METRICS_CAPTURE_MS =
      PREFIX + "worker.metrics.capture.interval.ms";
  public static final String WORKER_METRICS_REPORT_MS =
      PREFIX + "worker.metrics.report.interval.ms";
  public static final String SHUTDOWN_TIMEOUT_MS = PREFIX + "shutdown.timeout.ms";
  public static final String LINGER_MS = PREFIX + "linger.ms";
  public static final String DELIVERY_TIMEOUT_MS = PREFIX + "delivery.timeout.ms";
  public static final String RETRY_BACKOFF_MS = PREFIX + "retry.backoff.ms";
  public static final String RETRY_BACKOFF_MAX_MS = PREFIX + "retry.backoff.max.ms";
  public static final String BUFFER_MAX_BYTES = PREFIX + "buffer.max.bytes";
  public static final String WRITE_IDS = PREFIX + "write.ids";
  public static final String AGGREGATION = PREFIX + "aggregation";
  public static final String AGGREGATION_MAX_BYTES = PREFIX + "aggregation.max.bytes";

  /** Every key the backend reads; core reports any other {@code sluice.kinesis.*} key. */
  static final Set<String> KEYS =
      Set.of(
          REGION,
          ENDPOINT,
          DYNAMODB_ENDPOINT,
          ALLOW_SPLIT_ENDPOINTS,
          WRITE_IDS,
          CREDENTIALS,
          ACCESS_KEY_ID,
          SECRET_ACCESS_KEY,
          SESSION_TOKEN,
          LEASE_TABLE_PREFIX,
          CONSUMER_TYPE,
          CONSUMER_NAME,
          RESUBSCRIBE_MS,
          HTTP_PROTOCOL,
          POLL_INTERVAL_MS,
          MAX_BATCH_RECORDS,
          FAILOVER_TIME_MS,
          LEASE_ASSIGNMENT_INTERVAL_MS,
          LEASE_ASSIGNMENT,
          SHARD_SYNC_INTERVAL_MS,
          PARENT_SHARD_POLL_INTERVAL_MS,
          DISPATCH_INTERVAL_MS,
          WORKER_METRICS_CAPTURE_MS,
          WORKER_METRICS_REPORT_MS,
          SHUTDOWN_TIMEOUT_MS,
          LINGER_MS,
          DELIVERY_TIMEOUT_MS,
          RETRY_BACKOFF_MS,
          RETRY_BACKOFF_MAX_MS,
          BUFFER_MAX_BYTES,
          AGGREGATION,
          AGGREGATION_MAX_BYTES);

  final String region;
  final @Nullable URI endpoint;
  final @Nullable URI dynamoDbEndpoint;
  final @Nullable String accessKeyId;
  final @Nullable String secretAccessKey;
  final @Nullable String sessionToken;
  final String leaseTablePrefix;
  final ConsumerType consumerType;

  /** The stream consumer a standalone fan-out consumer subscribes with; null: a fresh one each. */
  final @Nullable String consumerName;

  /** A standalone fan-out reader ends each subscription after this long (0: never); for tests. */
  final Duration resubscribeAfter;

  /** True to speak HTTP/1.1 to Kinesis (the SDK's default for Kinesis is HTTP/2). */
  final boolean http1;

  /** Pack user records into KPL aggregates ({@link KplAggregate}). */
  final boolean aggregation;

  /** The largest aggregate, partition key included: at most Kinesis's 1 MiB. */
  final int aggregationMaxBytes;

  final Duration pollInterval;
  final int maxBatchRecords;
  final Duration failoverTime;
  final Duration leaseAssignmentInterval;
  final boolean leaseCountAssignment;
  final Duration shardSyncInterval;
  final Duration parentShardPollInterval;
  final Duration dispatchInterval;
  final Duration workerMetricsCapture;
  final Duration workerMetricsReport;
  final Duration shutdownTimeout;
  final Duration linger;
  final Duration deliveryTimeout;
  final Duration retryBackoff;
  final Duration retryBackoffMax;
  final long bufferMaxBytes;

  /**
   * Records carry write ids (envelope version 2) and the backend declares {@code DEDUPLICATION};
   * {@code sluice.kinesis.write.ids=false} writes version 1 as before, for readers that only know
   * it.
   */
  final boolean writeIds;

  private KinesisSettings(Map<String, String> config) {
    this.writeIds = ConfigValues.bool(WRITE_IDS, trimmed(config, WRITE_IDS), true);
    String regionValue = trimmed(config, REGION);
    if (regionValue == null) {
      throw invalid(
          "The Kinesis backend needs a region: set "
              + REGION
              + " (e.g. us-east-1; with a local emulator any region works, together with "
              + ENDPOINT
              + ")");
    }
    this.region = regionValue;
    this.endpoint = uri(config, ENDPOINT);
    this.dynamoDbEndpoint = uri(config, DYNAMODB_ENDPOINT);
    checkEndpointsTogether(endpoint, dynamoDbEndpoint, bool(config, ALLOW_SPLIT_ENDPOINTS), region);
    if (endpoint == null) {
      // Without an endpoint the SDK builds AWS host names from the region: a misspelt one would
      // fail only at the first request, as an unknown host. An emulator takes any region.
      checkKnownRegion(
          region, "; with " + ENDPOINT + " set (an emulator, say) any region name is accepted");
    }
    String credentials = trimmed(config, CREDENTIALS);
    String keyId = trimmed(config, ACCESS_KEY_ID);
    String secret = trimmed(config, SECRET_ACCESS_KEY);
    String token = trimmed(config, SESSION_TOKEN);
    String mode =
        credentials == null
            ? (keyId != null || secret != null ? "static" : "default")
            : credentials.toLowerCase(Locale.ROOT);
    switch (mode) {
      case "default":
        if (keyId != null || secret != null || token != null) {
          throw invalid(
              CREDENTIALS
                  + "=default uses the AWS default credentials chain, but "
                  + ACCESS_KEY_ID
                  + "/"
                  + SECRET_ACCESS_KEY
                  + " are set too; remove them or set "
                  + CREDENTIALS
                  + "=static");
        }
        this.accessKeyId = null;
        this.secretAccessKey = null;
        this.sessionToken = null;
        break;
      case "static":
        if (keyId == null || secret == null) {
          throw invalid(
              "Static credentials need both "
                  + ACCESS_KEY_ID
                  + " and "
                  + SECRET_ACCESS_KEY
                  + (keyId == null ? "; the access key id is missing" : "; the secret is missing"));
        }
        this.accessKeyId = keyId;
        this.secretAccessKey = secret;
        this.sessionToken = token;
        break;
      default:
        throw invalid(CREDENTIALS + " must be 'default' or 'static', not '" + credentials + "'");
    }
    String prefix = config.get(LEASE_TABLE_PREFIX);
    this.leaseTablePrefix = prefix == null ? "" : prefix.trim();
    String type = trimmed(config, CONSUMER_TYPE);
    if (type == null || type.equalsIgnoreCase("polling")) {
      this.consumerType = ConsumerType.POLLING;
    } else if (type.equalsIgnoreCase("fanout")) {
      this.consumerType = ConsumerType.FANOUT;
    } else {
      throw invalid(CONSUMER_TYPE + " must be 'polling' or 'fanout', not '" + type + "'");
    }
    String name = trimmed(config, CONSUMER_NAME);
    if (name != null && !name.matches("[a-zA-Z0-9_.-]{1,128}")) {
      throw invalid(
          CONSUMER_NAME
              + " must be 1 to 128 letters, digits, '_', '.' or '-' (a Kinesis stream consumer"
              + " name), not '"
              + name
              + "'");
    }
    this.consumerName = name;
    this.resubscribeAfter = millis(config, RESUBSCRIBE_MS, 0, 0);
    String protocol = trimmed(config, HTTP_PROTOCOL);
    if (protocol == null || protocol.equalsIgnoreCase("http2")) {
      this.http1 = false;
    } else if (protocol.equalsIgnoreCase("http1.1")) {
      if (consumerType == ConsumerType.FANOUT) {
        throw invalid(
            HTTP_PROTOCOL + "=http1.1 cannot be used with fan-out: SubscribeToShard needs HTTP/2");
      }
      this.http1 = true;
    } else {
      throw invalid(HTTP_PROTOCOL + " must be 'http2' or 'http1.1', not '" + protocol + "'");
    }
    this.pollInterval = millis(config, POLL_INTERVAL_MS, 200, 1);
    this.maxBatchRecords = (int) number(config, MAX_BATCH_RECORDS, 0, 1, 10_000);
    this.failoverTime = millis(config, FAILOVER_TIME_MS, 10_000, 100);
    this.leaseAssignmentInterval = millis(config, LEASE_ASSIGNMENT_INTERVAL_MS, 1_000, 50);
    String assignment = trimmed(config, LEASE_ASSIGNMENT);
    if (assignment == null || assignment.equalsIgnoreCase("lease-count")) {
      this.leaseCountAssignment = true;
    } else if (assignment.equalsIgnoreCase("worker-utilization")) {
      this.leaseCountAssignment = false;
    } else {
      throw invalid(
          LEASE_ASSIGNMENT
              + " must be 'lease-count' or 'worker-utilization', not '"
              + assignment
              + "'");
    }
    this.shardSyncInterval = millis(config, SHARD_SYNC_INTERVAL_MS, 60_000, 100);
    this.parentShardPollInterval = millis(config, PARENT_SHARD_POLL_INTERVAL_MS, 1_000, 10);
    this.dispatchInterval = millis(config, DISPATCH_INTERVAL_MS, 500, 10);
    this.workerMetricsCapture = millis(config, WORKER_METRICS_CAPTURE_MS, 1_000, 10);
    this.workerMetricsReport = millis(config, WORKER_METRICS_REPORT_MS, 30_000, 10);
    this.shutdownTimeout = millis(config, SHUTDOWN_TIMEOUT_MS, 20_000, 100);
    this.linger = millis(config, LINGER_MS, 5, 0);
    this.deliveryTimeout = millis(config, DELIVERY_TIMEOUT_MS, 120_000, 1);
    this.retryBackoff = millis(config, RETRY_BACKOFF_MS, 100, 1);
    this.retryBackoffMax = millis(config, RETRY_BACKOFF_MAX_MS, 2_000, 1);
    this.bufferMaxBytes = number(config, BUFFER_MAX_BYTES, 64L << 20, 1L << 20, Long.MAX_VALUE);
    this.aggregation = bool(config, AGGREGATION);
    this.aggregationMaxBytes =
        (int)
            number(
                config,
                AGGREGATION_MAX_BYTES,
                KplAggregate.MAX_BYTES,
                1024,
                KplAggregate.MAX_BYTES);
  }

  /**
   * Refuses a Kinesis endpoint override without a DynamoDB one, or the reverse, unless {@code
   * allowSplit}: a developer pointing Kinesis at an emulator would otherwise have group consumers
   * keep their leases and checkpoints in real AWS DynamoDB, with whatever credentials are at hand.
   */
  private static void checkEndpointsTogether(
      @Nullable URI kinesis, @Nullable URI dynamoDb, boolean allowSplit, String region) {
    if ((kinesis == null) == (dynamoDb == null) || allowSplit) {
      return;
    }
    String why =
        kinesis != null
            ? ENDPOINT
                + " is set but "
                + DYNAMODB_ENDPOINT
                + " is not: group consumers would read records from "
                + kinesis
                + " and keep their leases and checkpoints in AWS DynamoDB ("
                + region
                + "). Set "
                + DYNAMODB_ENDPOINT
                + " too (a local DynamoDB-compatible server for an emulator)"
            : DYNAMODB_ENDPOINT
                + " is set but "
                + ENDPOINT
                + " is not: group consumers would read records from AWS Kinesis ("
                + region
                + ") and keep their leases and checkpoints at "
                + dynamoDb
                + ". Set "
                + ENDPOINT
                + " too";
    throw invalid(
        why
            + ", or set "
            + ALLOW_SPLIT_ENDPOINTS
            + "=true if this split is meant (producers and consumers without a group never use"
            + " DynamoDB)");
  }

  /**
   * Refuses the region if the AWS SDK does not know it (a misspelt region would otherwise fail at
   * the first request, as an unknown host), with the closest known one as a hint.
   */
  static void checkKnownRegion(String region, String context) {
    Set<String> known = knownRegions();
    if (known.contains(region)) {
      return;
    }
    String closest = ConfigValues.closest(region.toLowerCase(Locale.ROOT), known);
    throw invalid(
        REGION
            + ": unknown region '"
            + region
            + "'"
            + (closest == null ? "" : ", did you mean '" + closest + "'?")
            + " Regions are checked against those this AWS SDK knows (a region newer than the SDK"
            + " needs an SDK upgrade)"
            + context);
  }

  private static Set<String> knownRegions() {
    return Region.regions().stream().map(Region::id).collect(Collectors.toCollection(TreeSet::new));
  }

  /** Parses the full configuration (keys with their {@code sluice.kinesis.} prefix). */
  static KinesisSettings parse(Map<String, String> config) {
    return new KinesisSettings(config);
  }

  /** The KCL lease table of a group. */
  String leaseTable(String group) {
    return leaseTablePrefix + group;
  }

  static Set<String> keys() {
    return new TreeSet<>(KEYS);
  }

  private static @Nullable String trimmed(Map<String, String> config, String key) {
    String value = config.get(key);
    if (value == null || value.isBlank()) {
      return null;
    }
    return value.trim();
  }

  private static @Nullable URI uri(Map<String, String> config, String key) {
    String value = trimmed(config, key);
    if (value == null) {
      return null;
    }
    try {
      URI uri = new URI(value);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new URISyntaxException(value, "needs a scheme and a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          key + " must be a URL such as http://127.0.0.1:4567, not '" + value + "'",
          e);
    }
  }

  private static boolean bool(Map<String, String> config, String key) {
    String value = trimmed(config, key);
    if (value == null || value.equalsIgnoreCase("false")) {
      return false;
    }
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    throw invalid(key + " must be 'true' or 'false', not '" + value + "'");
  }

  private static Duration millis(Map<String, String> config, String key, long dflt, long min) {
    return Duration.ofMillis(number(config, key, dflt, min, Long.MAX_VALUE));
  }

  private static long number(
      Map<String, String> config, String key, long dflt, long min, long max) {
    return ConfigValues.wholeNumber(key, trimmed(config, key), dflt, min, max);
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_CONFIG, message);
  }
}
