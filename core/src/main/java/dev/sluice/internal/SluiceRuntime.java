package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.TransactionalProducer;
import dev.sluice.spi.Backend;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.TransactionSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One opened Sluice: the backend, and the producers and consumers made from it. */
public final class SluiceRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(SluiceRuntime.class);
  private static final AtomicLong CLIENT_IDS = new AtomicLong();
  private static final long PROCESS_ID = ProcessHandle.current().pid();
  private static final byte[] DEAD_LETTER_PROBE_KEY =
      "sluice-dead-letter-check".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final String backendName;
  private final Backend backend;
  private final Capabilities capabilities;
  private final Map<String, String> config;
  private final @Nullable MeterRegistry meterRegistry;
  private final @Nullable SluiceMetrics metrics;
  private final @Nullable Tracing tracing;
  private final StreamAdmin admin;
  private final dev.sluice.GroupAdmin groups;
  private final Set<AutoCloseable> resources = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private SluiceRuntime(
      String backendName,
      Backend backend,
      Map<String, String> config,
      @Nullable MeterRegistry meterRegistry,
      @Nullable ObservationRegistry observationRegistry) {
    this.backendName = backendName;
    this.backend = backend;
    this.capabilities = backend.capabilities();
    this.config = config;
    this.meterRegistry = meterRegistry;
    this.metrics = SluiceMetrics.create(meterRegistry, backendName, config);
    // Without a registry Tracing (and with it Micrometer Observation) is never loaded.
    this.tracing =
        observationRegistry == null ? null : new Tracing(observationRegistry, backendName);
    this.admin = new ValidatingAdmin(this, backend.admin());
    this.groups = new ValidatingGroupAdmin(this, admin);
  }

  /**
   * Resolves the configuration from these sources, finds the backend, checks the required
   * capabilities and opens it (see {@link BackendLoader}).
   */
  public static SluiceRuntime open(
      ConfigLoader.Sources sources,
      @Nullable MeterRegistry meterRegistry,
      Set<Capability> required) {
    return open(sources, meterRegistry, null, required);
  }

  /**
   * As {@link #open(ConfigLoader.Sources, MeterRegistry, Set)}, observing sends and handler calls
   * in {@code observationRegistry} when it is not null.
   */
  public static SluiceRuntime open(
      ConfigLoader.Sources sources,
      @Nullable MeterRegistry meterRegistry,
      @Nullable ObservationRegistry observationRegistry,
      Set<Capability> required) {
    BackendLoader.Opened opened = BackendLoader.open(sources, meterRegistry, required);
    return new SluiceRuntime(
        opened.name(), opened.backend(), opened.config(), meterRegistry, observationRegistry);
  }

  public String backendName() {
    return backendName;
  }

  public Capabilities capabilities() {
    return capabilities;
  }

  public StreamAdmin admin() {
    checkOpen();
    return admin;
  }

  public dev.sluice.GroupAdmin groups() {
    checkOpen();
    return groups;
  }

  public Backend backend() {
    return backend;
  }

  public @Nullable MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  @Nullable SluiceMetrics metrics() {
    return metrics;
  }

  /** Sluice's observations, or null when the application gave no {@code ObservationRegistry}. */
  @Nullable Tracing tracing() {
    return tracing;
  }

  public Map<String, String> maskedConfiguration() {
    Map<String, String> out = new TreeMap<>();
    config.forEach((k, v) -> out.put(k, ConfigLoader.mask(k, v)));
    return out;
  }

  public void checkOpen() {
    if (closed.get()) {
      throw new SluiceException(ErrorCode.CLOSED, "This Sluice instance is closed");
    }
  }

  public void validateStreamName(String stream) {
    Validation.streamName(stream);
  }

  public SluiceException translate(Throwable error) {
    if (error instanceof SluiceException) {
      return (SluiceException) error;
    }
    try {
      return backend.translate(error);
    } catch (RuntimeException e) {
      return new SluiceException(ErrorCode.INTERNAL, String.valueOf(error.getMessage()), error);
    }
  }

  public String nextClientId(String kind) {
    return "sluice-" + kind + "-" + PROCESS_ID + "-" + CLIENT_IDS.incrementAndGet();
  }

  public <K, V> Producer<K, V> producer(String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    checkOpen();
    Validation.streamName(stream);
    ProducerDriver driver;
    try {
      driver = backend.producer(new ProducerSpec(stream, nextClientId("producer")));
    } catch (RuntimeException e) {
      throw translate(e);
    }
    DefaultProducer<K, V> producer =
        new DefaultProducer<>(this, stream, driver, keySerde, valueSerde);
    resources.add(producer);
    return producer;
  }

  /**
   * A transactional producer with this identity.
   *
   * @throws SluiceException {@code UNSUPPORTED} on a backend without transactions; {@code
   *     INVALID_ARGUMENT} for a bad id
   */
  public TransactionalProducer transactionalProducer(String transactionalId) {
    checkOpen();
    Validation.notNull(transactionalId, "transactionalId");
    requireTransactions("A transactional producer");
    Validation.identity(transactionalId, "transactional id");
    TransactionDriver driver = transactionDriver(transactionalId, null);
    DefaultTransactionalProducer producer =
        new DefaultTransactionalProducer(this, transactionalId, driver);
    resources.add(producer);
    return producer;
  }

  /** Fails with {@code UNSUPPORTED} unless the backend has transactions. */
  void requireTransactions(String what) {
    if (!capabilities.supports(Capability.TRANSACTIONS)) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          what
              + " needs transactions, which backend '"
              + backendName
              + "' does not have (Capability.TRANSACTIONS; Kafka and memory have them)");
    }
  }

  /** A new transaction driver; translated errors. */
  TransactionDriver transactionDriver(
      String transactionalId, java.time.@Nullable Duration timeout) {
    try {
      return backend.transactions(
          new TransactionSpec(transactionalId, nextClientId("transactions"), timeout));
    } catch (RuntimeException e) {
      throw translate(e);
    }
  }

  /**
   * Starts a processor.
   *
   * @throws SluiceException see {@code ProcessorBuilder.start}
   */
  public <K, V> Processor startProcessor(ProcessorSettings<K, V> settings) {
    checkOpen();
    Validation.groupName(settings.group());
    if (settings.guarantee() == ProcessingGuarantee.EXACTLY_ONCE
        && !capabilities.supports(Capability.TRANSACTIONS)
        && !capabilities.supports(Capability.DEDUPLICATION)) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "ProcessingGuarantee.EXACTLY_ONCE needs transactions or deduplicating consumers, and"
              + " backend '"
              + backendName
              + "' has neither (Capability.TRANSACTIONS, Capability.DEDUPLICATION); use"
              + " AT_LEAST_ONCE there");
    }
    for (String output : settings.outputs().keySet()) {
      if (!admin.exists(output)) {
        throw new SluiceException(
            ErrorCode.NOT_FOUND,
            "Output stream '"
                + output
                + "' of the processor of '"
                + settings.stream()
                + "' does not exist on "
                + backendName
                + "; create it before starting the processor");
      }
    }
    DefaultProcessor<K, V> processor = new DefaultProcessor<>(this, settings);
    resources.add(processor);
    try {
      processor.start();
    } catch (RuntimeException e) {
      resources.remove(processor);
      processor.close();
      throw translate(e);
    }
    return processor;
  }

  /** Largest batch a handler consumer asks its driver for (Kafka: {@code max.poll.records}). */
  static final int HANDLER_BATCH_RECORDS = 5000;

  /**
   * The batch size hint a driver gets. A pull consumer's is {@code maxPollRecords}, what one poll
   * returns. A handler consumer's records go to per-shard workers, and each batch handed over costs
   * a thread wake-up: larger batches cost less per record (the Kafka consume benchmark's client CPU
   * per record fell by a third from 500 to 2000; at 2000, waking workers was still ~6% of the poll
   * thread's time). 5000 is half the default buffer, so one batch does not pause its shard by
   * itself. Never more than the shard's buffer: backpressure pauses a shard once its queue is full,
   * and a batch bounds how far past that limit the queue can go while the pause takes effect.
   */
  static int batchHint(ConsumerSettings<?, ?> settings, @Nullable RecordHandler<?, ?> h) {
    if (h == null) {
      return settings.maxPollRecords();
    }
    return Math.min(HANDLER_BATCH_RECORDS, settings.maxBufferedRecords());
  }

  public <K, V> PullConsumer<K, V> startConsumer(
      ConsumerSettings<K, V> settings, @Nullable RecordHandler<K, V> handler) {
    checkOpen();
    Validation.streamName(settings.stream());
    if (settings.group() != null) {
      Validation.groupName(settings.group());
    }
    requireDeduplication(settings);
    requireDeadLetterStream(settings);
    String clientId = nextClientId("consumer");
    ConsumerDriver driver;
    try {
      driver =
          backend.consumer(
              new ConsumerSpec(
                  settings.stream(),
                  settings.group(),
                  settings.startPosition(),
                  clientId,
                  batchHint(settings, handler),
                  settings.deduplicate()));
    } catch (RuntimeException e) {
      throw translate(e);
    }
    DefaultConsumer<K, V> consumer =
        new DefaultConsumer<>(this, settings, driver, handler, clientId);
    resources.add(consumer);
    try {
      consumer.start();
    } catch (RuntimeException e) {
      resources.remove(consumer);
      consumer.close();
      throw translate(e);
    }
    return consumer;
  }

  /** A deduplicating consumer needs a group (the state lives with its checkpoints) and ids. */
  private void requireDeduplication(ConsumerSettings<?, ?> settings) {
    if (!settings.deduplicate()) {
      return;
    }
    if (settings.group() == null) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "deduplicate() needs a consumer group: what the consumer has passed is stored with the"
              + " group's checkpoints; add group(...) to the consumer of '"
              + settings.stream()
              + "'");
    }
    if (!capabilities.supports(Capability.DEDUPLICATION)) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "deduplicate() needs write ids, and backend '"
              + backendName
              + "' does not store them (Capability.DEDUPLICATION)");
    }
  }

  /**
   * A dead-letter stream that does not exist would only be found at the first poison record, when
   * the consumer then stops: better to refuse the start.
   */
  private void requireDeadLetterStream(ConsumerSettings<?, ?> settings) {
    Producer<byte[], byte[]> producer = settings.failurePolicy().deadLetterProducer();
    if (producer != null) {
      // The application's producer may write to another backend: ask it where a record would go,
      // which needs the stream (NOT_FOUND if it is missing, CLOSED if the producer is).
      try {
        producer.shardFor(DEAD_LETTER_PROBE_KEY);
      } catch (SluiceException e) {
        if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.CLOSED) {
          throw new SluiceException(
              e.code(),
              "Dead-letter stream '"
                  + producer.stream()
                  + "' of the failure policy cannot take records: "
                  + e.getMessage(),
              e);
        }
        LOG.warn("Could not check dead-letter stream '{}' at start", producer.stream(), e);
      }
    }
    String deadLetters = settings.failurePolicy().deadLetterStream();
    if (deadLetters != null && !admin.exists(deadLetters)) {
      throw new SluiceException(
          ErrorCode.NOT_FOUND,
          "Dead-letter stream '"
              + deadLetters
              + "' of the failure policy does not exist on "
              + backendName
              + "; create it before starting the consumer of '"
              + settings.stream()
              + "'");
    }
  }

  void forget(AutoCloseable resource) {
    resources.remove(resource);
  }

  public <T> T unwrap(Class<T> type) {
    checkOpen();
    if (type == Backend.class) {
      // The SPI itself, for tools and tests that write below the API (write ids of their own).
      return type.cast(backend);
    }
    return backend.unwrap(type);
  }

  private static void closeQuietly(AutoCloseable r) {
    try {
      r.close();
    } catch (Exception e) {
      LOG.warn("Closing {} failed", r, e);
    }
  }

  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Consumers first (they may still checkpoint), then producers (they flush), then the backend.
    // Every consumer stops handling records before any is closed, and they close side by side: a
    // consumer that takes seconds to give up its shards (a KCL graceful shutdown) neither lets the
    // others go on handling records meanwhile nor adds its time to theirs.
    // Processors before the consumers and producers they use: each commits its open transaction
    // (or its acknowledged checkpoints) as it gives its shards up.
    for (AutoCloseable r : resources) {
      if (r instanceof DefaultProcessor) {
        closeQuietly(r);
      }
    }
    List<AutoCloseable> consumers = new ArrayList<>();
    List<AutoCloseable> others = new ArrayList<>();
    for (AutoCloseable r : resources) {
      (r instanceof DefaultConsumer ? consumers : others).add(r);
    }
    consumers.forEach(c -> ((DefaultConsumer<?, ?>) c).halt());
    List<Thread> closing = new ArrayList<>();
    for (int i = 1; i < consumers.size(); i++) {
      AutoCloseable c = consumers.get(i);
      Thread t = new Thread(() -> closeQuietly(c), "sluice-close-" + i);
      t.setDaemon(true);
      t.start();
      closing.add(t);
    }
    if (!consumers.isEmpty()) {
      closeQuietly(consumers.get(0));
    }
    for (Thread t : closing) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    others.sort(
        (a, b) -> Boolean.compare(a instanceof DefaultProducer, b instanceof DefaultProducer));
    others.forEach(SluiceRuntime::closeQuietly);
    resources.clear();
    backend.close();
  }
}
