package dev.sluice.kafka.internal;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.spi.Backend;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.TransactionSpec;
import dev.sluice.spi.Unwrap;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The opened Kafka backend: the shared {@code Admin} client, capabilities and error mapping. */
final class KafkaBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBackend.class);
  private static final AtomicLong ADMIN_IDS = new AtomicLong();

  /** How long the quick existence checks (producer's first send, consumer start) may take. */
  static final Duration QUICK_CHECK_TIMEOUT = Duration.ofSeconds(5);

  private final KafkaSettings settings;
  private final AdminClient admin;
  private final Capabilities capabilities;
  private final KafkaAdminDriver adminDriver;
  private final KafkaGroupAdmin groupAdmin;
  private final @Nullable MeterRegistry registry;
  private final @Nullable ScheduledExecutorService metricsScheduler;
  private final @Nullable KafkaClientMetrics adminMetrics;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final KnownPartitionCounts partitionCounts = new KnownPartitionCounts();
  private @Nullable ScheduledExecutorService watchScheduler; // guarded by this

  KafkaBackend(KafkaSettings settings, @Nullable MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
    this.capabilities = capabilities(settings);
    this.admin =
        AdminClient.create(settings.adminProperties("sluice-admin-" + ADMIN_IDS.incrementAndGet()));
    this.adminDriver = new KafkaAdminDriver(admin, partitionCounts);
    this.groupAdmin = new KafkaGroupAdmin(admin, settings);
    if (registry != null) {
      this.metricsScheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "sluice-kafka-metrics");
                t.setDaemon(true);
                return t;
              });
      this.adminMetrics = new KafkaClientMetrics(admin, Tags.empty(), metricsScheduler);
      adminMetrics.bindTo(registry);
    } else {
      this.metricsScheduler = null;
      this.adminMetrics = null;
    }
  }

  static Capabilities capabilities(KafkaSettings settings) {
    int limit = settings.maxRequestSize();
    // Compressing incompressible bytes can make a batch slightly larger than its input.
    int reserve = KafkaSettings.RECORD_OVERHEAD_BYTES + (settings.compresses() ? limit / 64 : 0);
    int maxRecord = Math.max(1, limit - reserve);
    Capabilities.Builder builder = Capabilities.builder();
    if (settings.idempotent()) {
      builder.supports(Capability.ORDERED_RETRIES);
    }
    return builder
        .supports(
            Capability.NATIVE_HEADERS,
            Capability.TRANSACTIONS,
            Capability.SEEK_BY_TIMESTAMP,
            Capability.SEEK,
            Capability.SEEK_IN_GROUP,
            Capability.UNLIMITED_RETENTION,
            Capability.TOMBSTONES,
            Capability.COMPACTION)
        .maxRecordBytes(maxRecord)
        // Kafka has no key limit of its own: a long key is just part of a large record.
        .retention(null, null)
        // Kafka's record format has no negative timestamps (-1 there means "none"), and its
        // producer refuses them. Kafka 4 brokers refuse timestamps over an hour ahead
        // (message.timestamp.after.max.ms); a topic set otherwise is enforced by the broker, and
        // the send then fails with INVALID_ARGUMENT too.
        .timestamps(Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE))
        .maxTimestampAhead(Duration.ofHours(1))
        .build();
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public StreamAdmin admin() {
    return adminDriver;
  }

  @Override
  public dev.sluice.GroupAdmin groups() {
    checkOpen();
    return groupAdmin;
  }

  @Override
  public ProducerDriver producer(ProducerSpec spec) {
    checkOpen();
    return new KafkaProducerDriver(spec, settings, this);
  }

  @Override
  public ConsumerDriver consumer(ConsumerSpec spec) {
    checkOpen();
    return new KafkaConsumerDriver(spec, settings, this);
  }

  @Override
  public TransactionDriver transactions(TransactionSpec spec) {
    checkOpen();
    return new KafkaTransactionDriver(spec, settings, this);
  }

  @Override
  public SluiceException translate(Throwable error) {
    SluiceException e = KafkaErrors.translate(error);
    if (e.code() == dev.sluice.ErrorCode.UNAVAILABLE && !e.getMessage().contains("bootstrap")) {
      return new SluiceException(
          e.code(),
          e.getMessage().substring(e.getMessage().indexOf(']') + 2)
              + " (bootstrap.servers="
              + settings.bootstrapServers()
              + ")",
          e.getCause(),
          e.isRetryable());
    }
    return e;
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(
        type,
        admin,
        "The Kafka backend",
        org.apache.kafka.clients.admin.Admin.class.getName()
            + " (producers unwrap to Producer, consumers to Consumer)");
  }

  /**
   * The partition count this backend's admin gave {@code topic}, or 0 if it gave none (see {@link
   * KnownPartitionCounts}).
   */
  int knownPartitionCount(String topic) {
    return partitionCounts.of(topic);
  }

  /** The topic was found deleted and created again: the count this admin gave it is gone. */
  void forgetPartitionCount(String topic) {
    partitionCounts.forget(topic);
  }

  /**
   * The partition ids of a topic, asked of the cluster (not of a client's cached metadata).
   *
   * @throws RuntimeException the native error: {@code UnknownTopicOrPartitionException} if there is
   *     no such topic
   */
  List<Integer> partitions(String topic, Duration timeout) {
    TopicDescription d =
        await(
            admin
                .describeTopics(
                    List.of(topic), new DescribeTopicsOptions().timeoutMs((int) timeout.toMillis()))
                .topicNameValues()
                .get(topic),
            timeout.plusSeconds(1));
    List<Integer> ids = new ArrayList<>();
    for (TopicPartitionInfo p : d.partitions()) {
      ids.add(p.partition());
    }
    return ids;
  }

  /** Waits for an admin result, throwing the native error it failed with. */
  static <T> T await(KafkaFuture<T> future, Duration timeout) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new SluiceException(ErrorCode.INTERNAL, String.valueOf(cause.getMessage()), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new org.apache.kafka.common.errors.TimeoutException(
          "No answer from Kafka within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while waiting for Kafka", e);
    }
  }

  /**
   * Runs a producer's watch every second on the backend's watch thread (one for all producers,
   * started with the first); cancel it when the producer closes. Null once the backend is closed.
   */
  @Nullable ScheduledFuture<?> watch(Runnable check) {
    ScheduledExecutorService scheduler;
    synchronized (this) {
      if (closed.get()) {
        return null;
      }
      if (watchScheduler == null) {
        watchScheduler =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "sluice-kafka-producer-watch");
                  t.setDaemon(true);
                  return t;
                });
      }
      scheduler = watchScheduler;
    }
    Runnable guarded =
        () -> {
          try {
            check.run();
          } catch (RuntimeException e) {
            // A failed check must not end the schedule (an exception would cancel it).
            LOG.warn("A producer's watch failed", e);
          }
        };
    return scheduler.scheduleWithFixedDelay(guarded, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * Binds a producer's metrics to the meter registry, if there is one; close it with the client.
   */
  @Nullable AutoCloseable bindMetrics(Producer<?, ?> producer) {
    if (registry == null || metricsScheduler == null) {
      return null;
    }
    KafkaClientMetrics metrics = new KafkaClientMetrics(producer, Tags.empty(), metricsScheduler);
    metrics.bindTo(registry);
    return metrics;
  }

  /**
   * Binds a consumer's metrics to the meter registry, if there is one; close it with the client.
   */
  @Nullable AutoCloseable bindMetrics(Consumer<?, ?> consumer) {
    if (registry == null || metricsScheduler == null) {
      return null;
    }
    KafkaClientMetrics metrics = new KafkaClientMetrics(consumer, Tags.empty(), metricsScheduler);
    metrics.bindTo(registry);
    return metrics;
  }

  static void closeQuietly(@Nullable AutoCloseable resource) {
    if (resource == null) {
      return;
    }
    try {
      resource.close();
    } catch (Exception e) {
      LOG.debug("Closing {} failed", resource, e);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new SluiceException(ErrorCode.CLOSED, "The Kafka backend is closed");
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(adminMetrics);
    try {
      admin.close(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      LOG.warn("Closing the Kafka admin client failed", e);
    }
    if (metricsScheduler != null) {
      metricsScheduler.shutdownNow();
    }
    synchronized (this) {
      if (watchScheduler != null) {
        watchScheduler.shutdownNow();
      }
    }
  }
}
