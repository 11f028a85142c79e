package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.spi.Backend;
import dev.sluice.spi.BackendContext;
import dev.sluice.spi.BackendProvider;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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

  /** Where each known backend lives, for the "add this artifact" message. */
  private static final Map<String, String> KNOWN_ARTIFACTS =
      Map.of(
          "memory", "dev.sluice:sluice-core",
          "kafka", "dev.sluice:sluice-kafka",
          "kinesis", "dev.sluice:sluice-kinesis");

  private static final Set<String> CORE_KEYS =
      Set.of(ConfigLoader.BACKEND, ConfigLoader.CONFIG_FILE, SluiceMetrics.SHARD_TAG_KEY);

  private final String backendName;
  private final Backend backend;
  private final Capabilities capabilities;
  private final Map<String, String> config;
  private final @Nullable MeterRegistry meterRegistry;
  private final @Nullable SluiceMetrics metrics;
  private final StreamAdmin admin;
  private final Set<AutoCloseable> resources = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private SluiceRuntime(
      String backendName,
      Backend backend,
      Map<String, String> config,
      @Nullable MeterRegistry meterRegistry) {
    this.backendName = backendName;
    this.backend = backend;
    this.capabilities = backend.capabilities();
    this.config = config;
    this.meterRegistry = meterRegistry;
    this.metrics = SluiceMetrics.create(meterRegistry, backendName, config);
    this.admin = new ValidatingAdmin(this, backend.admin());
  }

  public static SluiceRuntime open(
      Map<String, String> config, @Nullable MeterRegistry meterRegistry, Set<Capability> required) {
    Map<String, BackendProvider> providers = providers();
    String name = config.get(ConfigLoader.BACKEND);
    BackendProvider provider = providers.get(name);
    if (provider == null) {
      String artifact = KNOWN_ARTIFACTS.get(name);
      String message =
          artifact != null
              ? "Backend '"
                  + name
                  + "' is not on the class path: add the dependency "
                  + artifact
                  + " (found: "
                  + providers.keySet()
                  + ")"
              : "Unknown backend '"
                  + name
                  + "' in sluice.backend; the backends on the class path are "
                  + providers.keySet()
                  + hint(name, providers.keySet());
      throw new SluiceException(ErrorCode.INVALID_CONFIG, message);
    }
    checkKeys(config, providers);

    String prefix = ConfigLoader.PREFIX + name + ".";
    Map<String, String> section = new TreeMap<>();
    config.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            section.put(k.substring(prefix.length()), v);
          }
        });
    Map<String, String> all = Collections.unmodifiableMap(new TreeMap<>(config));
    Map<String, String> own = Collections.unmodifiableMap(section);
    Backend backend;
    try {
      backend =
          provider.open(
              new BackendContext() {
                @Override
                public Map<String, String> config() {
                  return all;
                }

                @Override
                public Map<String, String> section() {
                  return own;
                }

                @Override
                public @Nullable MeterRegistry meterRegistry() {
                  return meterRegistry;
                }
              });
    } catch (SluiceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG, "Backend '" + name + "' failed to open: " + e.getMessage(), e);
    }

    Capabilities caps = backend.capabilities();
    List<Capability> missing = new ArrayList<>();
    for (Capability c : required) {
      if (!caps.supports(c)) {
        missing.add(c);
      }
    }
    if (!missing.isEmpty()) {
      backend.close();
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "Backend '" + name + "' does not support " + missing + " required by the application");
    }
    LOG.debug("Opened Sluice backend {} with {}", name, caps);
    return new SluiceRuntime(name, backend, all, meterRegistry);
  }

  private static Map<String, BackendProvider> providers() {
    Map<String, BackendProvider> providers = new LinkedHashMap<>();
    for (BackendProvider p :
        ServiceLoader.load(BackendProvider.class, SluiceRuntime.class.getClassLoader())) {
      BackendProvider previous = providers.putIfAbsent(p.name(), p);
      if (previous != null && previous.getClass() != p.getClass()) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Two backends are named '"
                + p.name()
                + "': "
                + previous.getClass().getName()
                + " and "
                + p.getClass().getName());
      }
    }
    return providers;
  }

  /** Every {@code sluice.*} key must be known to core or to the backend whose section it is in. */
  private static void checkKeys(
      Map<String, String> config, Map<String, BackendProvider> providers) {
    Set<String> known = new TreeSet<>(CORE_KEYS);
    providers.values().forEach(p -> known.addAll(p.configKeys()));
    for (String key : config.keySet()) {
      if (CORE_KEYS.contains(key)) {
        continue;
      }
      String rest = key.substring(ConfigLoader.PREFIX.length());
      int dot = rest.indexOf('.');
      String section = dot < 0 ? rest : rest.substring(0, dot);
      BackendProvider owner = providers.get(section);
      if (owner == null && KNOWN_ARTIFACTS.containsKey(section)) {
        continue; // a section of a backend that is not on the class path: nothing to check it with
      }
      if (owner != null && (owner.configKeys().contains(key) || owner.acceptsKey(key))) {
        continue;
      }
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG, "Unknown configuration key '" + key + "'" + hint(key, known));
    }
  }

  private static String hint(String key, Set<String> known) {
    String closest = ConfigLoader.closest(key, known);
    return closest == null ? "" : "; did you mean '" + closest + "'?";
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

  public Backend backend() {
    return backend;
  }

  public @Nullable MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  @Nullable SluiceMetrics metrics() {
    return metrics;
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

  public <K, V> Consumer<K, V> startConsumer(
      ConsumerSettings<K, V> settings, @Nullable RecordHandler<K, V> handler) {
    checkOpen();
    Validation.streamName(settings.stream());
    if (settings.group() != null) {
      Validation.groupName(settings.group());
    }
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
                  batchHint(settings, handler)));
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
    return backend.unwrap(type);
  }

  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Consumers first (they may still checkpoint), then producers (they flush), then the backend.
    List<AutoCloseable> ordered = new ArrayList<>(resources);
    ordered.sort(
        (a, b) -> Boolean.compare(a instanceof DefaultProducer, b instanceof DefaultProducer));
    for (AutoCloseable r : ordered) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("Closing {} failed", r, e);
      }
    }
    resources.clear();
    backend.close();
  }
}
