package dev.sluice;

import dev.sluice.Capabilities.Capability;
import dev.sluice.internal.ConfigLoader;
import dev.sluice.internal.SluiceRuntime;
import dev.sluice.internal.Validation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The entry point: opens a backend chosen by configuration and makes producers, consumers and the
 * admin for it. Application code is the same for every backend.
 *
 * <pre>{@code
 * try (Sluice sluice = Sluice.open()) {            // sluice.backend=memory|kafka|kinesis
 *   sluice.admin().createStream("greetings", StreamSpec.withShards(2));
 *   try (Producer<String, String> producer =
 *       sluice.producer("greetings", Serde.string(), Serde.string())) {
 *     producer.send("alice", "hello").join();
 *   }
 *   try (Consumer<String, String> consumer =
 *       sluice.consumer("greetings", Serde.string(), Serde.string())
 *           .group("greeters")
 *           .start(record -> System.out.println(record.key() + ": " + record.value()))) {
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p><b>Configuration</b> is read from these sources; a key in an earlier one wins:
 *
 * <ol>
 *   <li>what the application sets on the {@link Builder} ({@link Builder#set}, {@link
 *       Builder#properties});
 *   <li>JVM system properties ({@code -Dsluice.backend=kafka});
 *   <li>environment variables ({@code SLUICE_BACKEND=kafka}; {@code SLUICE_KAFKA_BOOTSTRAP_SERVERS}
 *       is {@code sluice.kafka.bootstrap.servers}: lower case, {@code _} becomes {@code .}). Only
 *       variables that name a Sluice setting or lie in a backend's section ({@code
 *       SLUICE_MEMORY_*}, {@code SLUICE_KAFKA_*}, {@code SLUICE_KINESIS_*}) are read; another
 *       {@code SLUICE_*} variable is ignored, unless it is a near miss of one ({@code
 *       SLUICE_BACKND}), which fails with a "did you mean". Messages name the variable the user
 *       set;
 *   <li>the properties file named by {@code sluice.config.file} (in any source above) or given with
 *       {@link Builder#propertiesFile};
 *   <li>defaults: {@code sluice.backend=memory}.
 * </ol>
 *
 * <p>Unknown {@code sluice.*} keys fail with {@link ErrorCode#INVALID_CONFIG} and a "did you mean"
 * hint. A backend that is not on the class path fails with a message naming the artifact to add
 * (or, when its classes are there but its service file was lost in a shaded jar, how to merge
 * service files).
 *
 * <p>Opening logs one INFO line with the backend and the settings in effect (secrets masked). When
 * no source names {@code sluice.backend}, the in-memory backend is taken and a WARN says that
 * nothing is persisted; {@code sluice.backend.required=true} makes that an {@link
 * ErrorCode#INVALID_CONFIG} error instead, for production deployments.
 *
 * <p>A {@code Sluice} is thread-safe. Closing it closes every producer and consumer it made.
 */
public final class Sluice implements AutoCloseable {
  private final SluiceRuntime runtime;

  private Sluice(SluiceRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * Opens Sluice configured from system properties, environment and defaults.
   *
   * @return the opened Sluice
   */
  public static Sluice open() {
    return builder().open();
  }

  /**
   * Opens Sluice with these settings on top of system properties, environment and defaults.
   *
   * @param settings settings ({@code sluice.*} keys)
   * @return the opened Sluice
   */
  public static Sluice open(Map<String, String> settings) {
    return builder().properties(Validation.notNull(settings, "settings")).open();
  }

  /**
   * A builder that opens a {@code Sluice} from explicit settings on top of the usual sources.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The backend's name: {@code memory}, {@code kafka}, {@code kinesis}.
   *
   * @return the backend's name: {@code memory}, {@code kafka}, {@code kinesis}
   */
  public String backend() {
    return runtime.backendName();
  }

  /**
   * What the backend can do.
   *
   * @return what the backend can do
   */
  public Capabilities capabilities() {
    return runtime.capabilities();
  }

  /**
   * Creates, describes and deletes streams.
   *
   * @return the stream admin
   */
  public StreamAdmin admin() {
    return runtime.admin();
  }

  /**
   * Lists, describes, resets and deletes the consumer groups of streams.
   *
   * @return the group admin
   */
  public GroupAdmin groups() {
    return runtime.groups();
  }

  /**
   * A producer of raw bytes.
   *
   * @param stream the stream's name
   * @return a producer of raw bytes
   */
  public Producer<byte[], byte[]> producer(String stream) {
    return producer(stream, Serde.bytes(), Serde.bytes());
  }

  /**
   * A producer of typed keys and values.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param stream the stream's name
   * @param keySerde the serde for keys
   * @param valueSerde the serde for values
   * @return a producer of typed keys and values
   */
  public <K, V> Producer<K, V> producer(String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    return runtime.producer(
        stream,
        Validation.notNull(keySerde, "keySerde"),
        Validation.notNull(valueSerde, "valueSerde"));
  }

  /**
   * A consumer of raw bytes, to configure.
   *
   * @param stream the stream's name
   * @return this builder
   */
  public ConsumerBuilder<byte[], byte[]> consumer(String stream) {
    return consumer(stream, Serde.bytes(), Serde.bytes());
  }

  /**
   * A consumer of typed keys and values, to configure.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param stream the stream's name
   * @param keySerde the serde for keys
   * @param valueSerde the serde for values
   * @return this builder
   */
  public <K, V> ConsumerBuilder<K, V> consumer(
      String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    runtime.checkOpen();
    runtime.validateStreamName(stream);
    return new ConsumerBuilder<>(
        runtime,
        stream,
        Validation.notNull(keySerde, "keySerde"),
        Validation.notNull(valueSerde, "valueSerde"));
  }

  /**
   * A producer that writes to several streams atomically, in transactions; see {@link
   * TransactionalProducer} for what the identity does.
   *
   * @param transactionalId the producer's transactional id, stable across restarts
   * @return a producer that writes to several streams atomically, in transactions; see {@link
   *     TransactionalProducer} for what the identity does
   * @throws SluiceException {@code UNSUPPORTED} on a backend without {@link
   *     Capability#TRANSACTIONS} (Kinesis); {@code INVALID_ARGUMENT} for a bad id
   */
  public TransactionalProducer transactionalProducer(String transactionalId) {
    return runtime.transactionalProducer(transactionalId);
  }

  /**
   * A consume → transform → produce stage reading {@code stream}, to configure: a group, its
   * outputs, its {@link ProcessingGuarantee}; see {@link ProcessorBuilder}.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param stream the stream's name
   * @param keySerde the serde for keys
   * @param valueSerde the serde for values
   * @return this builder
   */
  public <K, V> ProcessorBuilder<K, V> processor(
      String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    runtime.checkOpen();
    runtime.validateStreamName(stream);
    return new ProcessorBuilder<>(
        runtime,
        stream,
        Validation.notNull(keySerde, "keySerde"),
        Validation.notNull(valueSerde, "valueSerde"));
  }

  /**
   * The configuration in effect, after all sources were merged (secrets masked).
   *
   * @return the configuration in effect, after all sources were merged (secrets masked)
   */
  public Map<String, String> configuration() {
    return runtime.maskedConfiguration();
  }

  /**
   * The backend's shared native client of this type (e.g. Kafka's {@code Admin}), or with {@code
   * dev.sluice.spi.Backend.class} the backend's driver itself (for tools and tests that work below
   * the API; what it does is the SPI's contract, not this API's).
   *
   * @param <T> the type
   * @param type the class wanted
   * @return the client or backend
   */
  public <T> T unwrap(Class<T> type) {
    return runtime.unwrap(Validation.notNull(type, "type"));
  }

  /**
   * Closes every consumer and producer (flushing it) made by this instance, then the backend. No
   * consumer's handler starts a call once this is called: every consumer stops at once (see {@link
   * Consumer#close()}), then they are closed side by side, so closing takes about as long as the
   * slowest one.
   */
  @Override
  public void close() {
    runtime.close();
  }

  @Override
  public String toString() {
    return "Sluice{backend=" + backend() + "}";
  }

  /** Configures and opens {@link Sluice}. */
  public static final class Builder {
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final Set<Capability> required = EnumSet.noneOf(Capability.class);
    private @Nullable Path propertiesFile;
    private @Nullable MeterRegistry meterRegistry;
    private @Nullable ObservationRegistry observationRegistry;
    private boolean useEnvironment = true;

    private Builder() {}

    /**
     * Selects the backend: {@code memory}, {@code kafka}, {@code kinesis}.
     *
     * @param name the name
     * @return this builder
     */
    public Builder backend(String name) {
      return set(ConfigLoader.BACKEND, Validation.notNull(name, "name"));
    }

    /**
     * Sets one key, e.g. {@code set("sluice.kafka.bootstrap.servers", "127.0.0.1:9092")}.
     *
     * @param key the record's key, or null
     * @param value the record's value, or null
     * @return this builder
     */
    public Builder set(String key, String value) {
      settings.put(Validation.notNull(key, "key"), Validation.notNull(value, "value"));
      return this;
    }

    /**
     * Settings ({@code sluice.*} keys), above every other source.
     *
     * @param values the settings
     * @return this builder
     */
    public Builder properties(Map<String, String> values) {
      Validation.notNull(values, "values").forEach(this::set);
      return this;
    }

    /**
     * Settings ({@code sluice.*} keys), above every other source.
     *
     * @param values the settings
     * @return this builder
     */
    public Builder properties(Properties values) {
      Validation.notNull(values, "values")
          .stringPropertyNames()
          .forEach(k -> set(k, values.getProperty(k)));
      return this;
    }

    /**
     * Reads this properties file as the lowest-precedence source (above defaults).
     *
     * @param file the properties file
     * @return this builder
     */
    public Builder propertiesFile(Path file) {
      this.propertiesFile = Validation.notNull(file, "file");
      return this;
    }

    /**
     * Ignores system properties and environment variables: only what is set here counts. For tests
     * that must not be steered by the machine they run on.
     *
     * @return this builder
     */
    public Builder ignoreEnvironment() {
      this.useEnvironment = false;
      return this;
    }

    /**
     * Records Sluice's meters (and the backend client's own, where it has any) here.
     *
     * @param registry where meters are registered
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Validation.notNull(registry, "registry");
      return this;
    }

    /**
     * Traces sends and handler calls through this registry (off without one, at no cost). Each send
     * is a producer-kind observation that writes the trace into the record's headers; each handler
     * call (with its retries, dead-lettering and a processor's outputs) runs inside a consumer-kind
     * observation continuing the trace it read from them. With a tracing bridge (Brave or
     * OpenTelemetry, as Spring Boot configures) the headers are W3C {@code traceparent} and {@code
     * tracestate}, as UTF-8 text, on every backend; names and attributes follow OpenTelemetry's
     * messaging semantic conventions ({@code "send orders"}, {@code messaging.system}, {@code
     * messaging.destination.name}, {@code messaging.operation.type}).
     *
     * <pre>{@code
     * Sluice sluice = Sluice.builder().observationRegistry(observationRegistry).open();
     * }</pre>
     *
     * @param registry the registry, with the application's tracing handlers
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      this.observationRegistry = Validation.notNull(registry, "registry");
      return this;
    }

    /**
     * Fails {@link #open()} with {@link ErrorCode#UNSUPPORTED} unless the backend supports all of
     * these.
     *
     * @param capabilities the features the backend must have
     * @return this builder
     */
    public Builder require(Capability... capabilities) {
      for (Capability c : Validation.notNull(capabilities, "capabilities")) {
        required.add(Validation.notNull(c, "capabilities"));
      }
      return this;
    }

    /**
     * Resolves the configuration, finds the backend, checks the required capabilities and opens it.
     *
     * @return the opened Sluice
     * @throws SluiceException {@code INVALID_CONFIG} for unknown keys, a bad value or a backend not
     *     on the class path; {@code UNSUPPORTED} for a missing required capability
     */
    public Sluice open() {
      ConfigLoader.Sources sources =
          new ConfigLoader.Sources(
              settings,
              useEnvironment ? System.getProperties() : new Properties(),
              useEnvironment ? System.getenv() : Map.of(),
              propertiesFile);
      return new Sluice(SluiceRuntime.open(sources, meterRegistry, observationRegistry, required));
    }
  }
}
