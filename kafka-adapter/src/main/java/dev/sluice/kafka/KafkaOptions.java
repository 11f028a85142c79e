package dev.sluice.kafka;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Typed configuration of the Kafka backend, for code; it produces the same {@code sluice.kafka.*}
 * keys a properties file would hold.
 *
 * <pre>{@code
 * KafkaOptions kafka =
 *     KafkaOptions.builder()
 *         .bootstrapServers("broker1:9092,broker2:9092")
 *         .linger(Duration.ofMillis(5))
 *         .compression("zstd")
 *         .set("security.protocol", "SASL_SSL")
 *         .build();
 * try (Sluice sluice = Sluice.builder().properties(kafka.asMap()).open()) { ... }
 * }</pre>
 *
 * <p>How the keys are used:
 *
 * <ul>
 *   <li>A Kafka client setting ({@code sluice.kafka.linger.ms}) goes to every client that knows it:
 *       {@code bootstrap.servers} and the TLS/SASL settings to the producer, the consumer and the
 *       admin client, {@code linger.ms} to the producer only.
 *   <li>{@code sluice.kafka.producer.<setting>}, {@code sluice.kafka.consumer.<setting>} and {@code
 *       sluice.kafka.admin.<setting>} go to that client only and win over the plain key.
 *   <li>{@code sluice.kafka.partition.discovery.interval.ms} (Sluice's own, default 10000): how
 *       often a consumer without a group looks for partitions added to its topic.
 *   <li>Sluice sets, and refuses to take from configuration: the serializers and deserializers (use
 *       a {@code Serde}), {@code group.id} (use {@code ConsumerBuilder.group}), {@code
 *       enable.auto.commit} (Sluice commits what was processed) and {@code group.instance.id}.
 *   <li>Defaults that differ from Kafka's: producers are idempotent with {@code acks=all} (per-key
 *       order survives retries; setting weaker {@code acks} turns idempotence off), consumers read
 *       with {@code isolation.level=read_committed} and, in a group, use the cooperative-sticky
 *       assignor on the classic group protocol ({@code group.protocol=consumer} selects the new
 *       protocol instead).
 *   <li>Partitions added to a topic reach a consumer group when the group's metadata refreshes
 *       ({@code metadata.max.age.ms}, Kafka's default 5 minutes): lower it where partitions are
 *       added while consumers run. Their records are read from the first one, even with {@code
 *       StartPosition.latest()}, since all of them were sent after the consumer started. A producer
 *       routes keys (and answers {@code shardFor}) by the new count as soon as {@code
 *       setShardCount} of the same {@code Sluice} returns; after a change made elsewhere, once its
 *       metadata refreshes.
 * </ul>
 */
public final class KafkaOptions {
  /** The prefix of every key of the Kafka backend. */
  public static final String PREFIX = "sluice.kafka.";

  private final Map<String, String> values;

  private KafkaOptions(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
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
   * The configuration: {@code sluice.backend=kafka} and the {@code sluice.kafka.*} keys.
   *
   * @return the keys and values, to give to {@code Sluice.builder().properties(...)}
   */
  public Map<String, String> asMap() {
    return values;
  }

  @Override
  public String toString() {
    return "KafkaOptions" + values.keySet();
  }

  /** Builds {@link KafkaOptions}. */
  public static final class Builder {
    private final Map<String, String> values = new LinkedHashMap<>();

    private Builder() {
      values.put("sluice.backend", "kafka");
    }

    /**
     * The brokers to connect to, {@code host:port,host:port}. Required.
     *
     * @param servers the bootstrap servers
     * @return this builder
     */
    public Builder bootstrapServers(String servers) {
      return set("bootstrap.servers", servers);
    }

    /**
     * How long the producer waits to fill a batch ({@code linger.ms}).
     *
     * @param linger the time to wait
     * @return this builder
     */
    public Builder linger(Duration linger) {
      return set("linger.ms", Long.toString(linger.toMillis()));
    }

    /**
     * The producer's batch size in bytes ({@code batch.size}).
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder batchSize(int bytes) {
      return set("batch.size", Integer.toString(bytes));
    }

    /**
     * {@code none}, {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd}.
     *
     * @param type the compression type
     * @return this builder
     */
    public Builder compression(String type) {
      return set("compression.type", type);
    }

    /**
     * The largest request, so the largest record, the producer sends ({@code max.request.size}).
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder maxRequestSize(int bytes) {
      return set("max.request.size", Integer.toString(bytes));
    }

    /**
     * {@code PLAINTEXT}, {@code SSL}, {@code SASL_PLAINTEXT} or {@code SASL_SSL}.
     *
     * @param protocol the protocol
     * @return this builder
     */
    public Builder securityProtocol(String protocol) {
      return set("security.protocol", protocol);
    }

    /**
     * SASL with a mechanism ({@code PLAIN}, {@code SCRAM-SHA-512}, ...) and its JAAS config.
     *
     * @param mechanism the SASL mechanism
     * @param jaasConfig the JAAS configuration line
     * @return this builder
     */
    public Builder sasl(String mechanism, String jaasConfig) {
      set("sasl.mechanism", mechanism);
      return set("sasl.jaas.config", jaasConfig);
    }

    /**
     * The consumer group protocol: {@code classic} (the default) or {@code consumer}.
     *
     * @param protocol the protocol
     * @return this builder
     */
    public Builder groupProtocol(String protocol) {
      return set("group.protocol", protocol);
    }

    /**
     * How long a silent group member keeps its partitions (classic protocol).
     *
     * @param timeout the session timeout
     * @return this builder
     */
    public Builder sessionTimeout(Duration timeout) {
      return set("session.timeout.ms", Long.toString(timeout.toMillis()));
    }

    /**
     * Standalone consumers: how often to look for partitions added to the topic.
     *
     * @param interval the interval
     * @return this builder
     */
    public Builder partitionDiscoveryInterval(Duration interval) {
      return set("partition.discovery.interval.ms", Long.toString(interval.toMillis()));
    }

    /**
     * Any Kafka client setting, without the {@code sluice.kafka.} prefix: {@code set("acks", "1")}.
     * Prefix it with {@code producer.}, {@code consumer.} or {@code admin.} for one client only.
     *
     * @param kafkaSetting the Kafka client setting
     * @param value its value
     * @return this builder
     */
    public Builder set(String kafkaSetting, String value) {
      Objects.requireNonNull(kafkaSetting, "kafkaSetting");
      Objects.requireNonNull(value, "value");
      String key = kafkaSetting.startsWith(PREFIX) ? kafkaSetting : PREFIX + kafkaSetting;
      values.put(key, value);
      return this;
    }

    /**
     * The options set so far.
     *
     * @return the options, immutable
     */
    public KafkaOptions build() {
      return new KafkaOptions(values);
    }
  }
}
