package dev.sluice.kinesis.internal;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Record;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
import dev.sluice.spi.Backend;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.Unwrap;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/** The Kinesis backend: owns the AWS clients every producer, consumer and the admin share. */
final class KinesisBackend implements Backend {
  /**
   * Kinesis takes 1 MiB of data plus partition key per record; {@link #recordSize} counts exactly
   * that, so nothing is held back.
   */
  static final int MAX_RECORD_BYTES = 1024 * 1024;

  private final KinesisSettings settings;
  private final Capabilities capabilities;
  private final AwsCredentialsProvider credentials;
  private final KinesisAsyncClient kinesis;
  private final KinesisAdmin admin;
  private @Nullable DynamoDbAsyncClient dynamo;
  private @Nullable CloudWatchAsyncClient cloudWatch;
  private boolean closed;

  KinesisBackend(KinesisSettings settings) {
    this.settings = settings;
    Capabilities.Builder features = Capabilities.builder();
    if (settings.writeIds) {
      features.supports(Capability.DEDUPLICATION);
    }
    this.capabilities =
        features
            .supports(
                Capability.SHRINK_SHARDS,
                Capability.SPLIT_AND_MERGE,
                Capability.SEEK_BY_TIMESTAMP,
                Capability.SEEK)
            .maxRecordBytes(MAX_RECORD_BYTES)
            .recordSize(r -> recordSize(r, settings.writeIds))
            .recordOverheadBytes(
                Envelope.FIXED_OVERHEAD
                    + Envelope.TIMESTAMP_BYTES
                    + (settings.writeIds ? WriteIds.OWN_ID_MAX_BYTES : 0))
            .headerOverheadBytes(Envelope.PER_HEADER_OVERHEAD)
            .maxKeyBytes(PartitionKeys.MAX_KEY_BYTES)
            .maxHeaders(Envelope.MAX_HEADERS)
            .maxHeaderNameBytes(Envelope.MAX_HEADER_NAME_BYTES)
            .retention(Duration.ofHours(24), Duration.ofHours(8760))
            // The envelope carries any signed 64-bit millisecond count but Record.NO_TIMESTAMP.
            .timestamps(
                Instant.ofEpochMilli(Record.NO_TIMESTAMP + 1), Instant.ofEpochMilli(Long.MAX_VALUE))
            .build();
    this.credentials = credentials(settings);
    this.kinesis = kinesisClient(settings, credentials);
    this.admin = new KinesisAdmin(kinesis);
  }

  /**
   * A record's size as Kinesis counts it: the UTF-8 bytes of the partition key its key becomes,
   * plus its data (the envelope, if it needs one, and the value). No per-header rule of Kafka's.
   * With write ids on, every record carries a version-2 envelope with a producer's own id, counted
   * at its largest; an id a processor forwards may be longer (its writer and position are the
   * source's), which only the broker then checks.
   */
  static long recordSize(Record<byte[], byte[]> record, boolean writeIds) {
    return PartitionKeys.toPartitionKey(record.key()).getBytes(StandardCharsets.UTF_8).length
        + Envelope.size(
            record.headers(),
            record.value(),
            record.timestampMillis(),
            writeIds ? WriteIds.OWN_ID_MAX_BYTES : 0);
  }

  private static AwsCredentialsProvider credentials(KinesisSettings settings) {
    if (settings.accessKeyId == null || settings.secretAccessKey == null) {
      return DefaultCredentialsProvider.builder().build();
    }
    if (settings.sessionToken != null) {
      return StaticCredentialsProvider.create(
          AwsSessionCredentials.create(
              settings.accessKeyId, settings.secretAccessKey, settings.sessionToken));
    }
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create(settings.accessKeyId, settings.secretAccessKey));
  }

  private static KinesisAsyncClient kinesisClient(
      KinesisSettings settings, AwsCredentialsProvider credentials) {
    NettyNioAsyncHttpClient.Builder http =
        NettyNioAsyncHttpClient.builder().maxConcurrency(Integer.MAX_VALUE);
    if (settings.consumerType == ConsumerType.FANOUT) {
      // SubscribeToShard needs HTTP/2 (as KinesisClientUtil configures it for the KCL).
      http.protocol(Protocol.HTTP2)
          .http2Configuration(h -> h.initialWindowSize(512 * 1024).healthCheckPingPeriod(null));
    } else {
      http.maxConcurrency(200);
      if (settings.http1) {
        http.protocol(Protocol.HTTP1_1);
      }
    }
    KinesisAsyncClientBuilder builder =
        KinesisAsyncClient.builder()
            .region(Region.of(settings.region))
            .credentialsProvider(credentials)
            .httpClientBuilder(http);
    if (settings.endpoint != null) {
      builder.endpointOverride(settings.endpoint);
    }
    return builder.build();
  }

  KinesisSettings settings() {
    return settings;
  }

  KinesisAsyncClient kinesis() {
    return kinesis;
  }

  /** The DynamoDB client for lease tables, made on first use (only group consumers need it). */
  synchronized DynamoDbAsyncClient dynamo() {
    checkOpen();
    if (dynamo == null) {
      if (settings.dynamoDbEndpoint == null) {
        // Open checks the region only when the Kinesis endpoint is not overridden; with that
        // override and allow.split.endpoints, DynamoDB's host name is still built from it.
        KinesisSettings.checkKnownRegion(
            settings.region,
            "; group consumers keep their leases in AWS DynamoDB, as "
                + KinesisSettings.DYNAMODB_ENDPOINT
                + " is not set");
      }
      var builder =
          DynamoDbAsyncClient.builder()
              .region(Region.of(settings.region))
              .credentialsProvider(credentials)
              .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(100));
      if (settings.dynamoDbEndpoint != null) {
        builder.endpointOverride(settings.dynamoDbEndpoint);
      }
      dynamo = builder.build();
    }
    return dynamo;
  }

  /**
   * The CloudWatch client the KCL insists on; Sluice turns KCL metrics off, so it is never called.
   */
  synchronized CloudWatchAsyncClient cloudWatch() {
    checkOpen();
    if (cloudWatch == null) {
      cloudWatch =
          CloudWatchAsyncClient.builder()
              .region(Region.of(settings.region))
              .credentialsProvider(credentials)
              .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(4))
              .build();
    }
    return cloudWatch;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public StreamAdmin admin() {
    return admin;
  }

  @Override
  public dev.sluice.GroupAdmin groups() {
    checkOpen();
    return new KinesisGroupAdmin(this);
  }

  @Override
  public ProducerDriver producer(ProducerSpec spec) {
    checkOpen();
    return new KinesisProducer(kinesis, spec, settings);
  }

  @Override
  public ConsumerDriver consumer(ConsumerSpec spec) {
    checkOpen();
    if (spec.isGroup()) {
      return new GroupConsumer(this, spec);
    }
    return new StandaloneConsumer(kinesis, spec, settings);
  }

  @Override
  public SluiceException translate(Throwable error) {
    return KinesisErrors.translate(error);
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    if (type.isInstance(kinesis)) {
      return type.cast(kinesis);
    }
    if (type == DynamoDbAsyncClient.class) {
      return type.cast(dynamo());
    }
    if (type == CloudWatchAsyncClient.class) {
      return type.cast(cloudWatch());
    }
    throw Unwrap.unsupported(
        type,
        "The Kinesis backend",
        "KinesisAsyncClient, DynamoDbAsyncClient and CloudWatchAsyncClient");
  }

  private synchronized void checkOpen() {
    if (closed) {
      throw new SluiceException(ErrorCode.CLOSED, "The Kinesis backend is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<SdkAutoCloseable> clients = new ArrayList<>();
    clients.add(kinesis);
    if (dynamo != null) {
      clients.add(dynamo);
    }
    if (cloudWatch != null) {
      clients.add(cloudWatch);
    }
    // Every producer and consumer is closed by now. Shutting down a client's Netty event loops
    // takes about two seconds of quiet period: do it in the background, not in close().
    Thread closer =
        new Thread(() -> clients.forEach(SdkAutoCloseable::close), "sluice-kinesis-client-close");
    closer.setDaemon(true);
    closer.start();
  }
}
