package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.spi.ConfigValues;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * The {@code sluice.kafka.*} section, split into the properties of each Kafka client.
 *
 * <p>A key in the section goes to every client that knows it ({@code bootstrap.servers} and the
 * TLS/SASL settings to all three, {@code linger.ms} to the producer only). A key prefixed with
 * {@code producer.}, {@code consumer.} or {@code admin.} goes to that client only and wins over the
 * unprefixed one. Sluice's own keys are listed in {@link #OWN_KEYS}.
 */
final class KafkaSettings {
  static final String PREFIX = "sluice.kafka.";

  /** Standalone consumers: how often to look for partitions added to the topic. */
  static final String PARTITION_DISCOVERY_INTERVAL_MS = "partition.discovery.interval.ms";

  static final Set<String> OWN_KEYS = Set.of(PARTITION_DISCOVERY_INTERVAL_MS);

  static final String PRODUCER_PREFIX = "producer.";
  static final String CONSUMER_PREFIX = "consumer.";
  static final String ADMIN_PREFIX = "admin.";

  /** Kafka's default {@code max.request.size}, which the broker's default limit is just above. */
  static final int DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

  /**
   * Bytes kept free below {@code max.request.size} for what Kafka adds around key, value and header
   * bytes: the record batch header (61), the record's varint fields (at most ~40) and header
   * varints beyond the 4 bytes per header core already counts.
   */
  static final int RECORD_OVERHEAD_BYTES = 512;

  /** Settings Sluice owns: setting them would break its guarantees, so they are refused. */
  private static final Map<String, String> RESERVED =
      Map.of(
          "key.serializer", "Sluice sends bytes; use a Serde on the producer",
          "value.serializer", "Sluice sends bytes; use a Serde on the producer",
          "key.deserializer", "Sluice reads bytes; use a Serde on the consumer",
          "value.deserializer", "Sluice reads bytes; use a Serde on the consumer",
          "enable.auto.commit", "Sluice commits what the application processed (checkpoints)",
          "group.id", "the group is given to the consumer builder: .group(\"name\")",
          "group.instance.id",
              "static membership would give every consumer of this JVM the same instance id",
          // Sluice sets it on the producers of its transactions, from the identity the
          // application gives the API; on an ordinary producer it would hang the first send.
          "transactional.id",
              "Sluice manages it: give the identity to sluice.transactionalProducer(\"id\")"
                  + " (a processor with ProcessingGuarantee.EXACTLY_ONCE chooses its own)");

  /** Sluice's default {@code fetch.max.wait.ms}; see {@link #consumerProperties}. */
  static final int FETCH_MAX_WAIT_MS = 100;

  private static final Set<String> PRODUCER_NAMES = ProducerConfig.configNames();
  private static final Set<String> CONSUMER_NAMES = ConsumerConfig.configNames();
  private static final Set<String> ADMIN_NAMES = AdminClientConfig.configNames();

  private final Map<String, String> section;
  private final Duration partitionDiscoveryInterval;

  private KafkaSettings(Map<String, String> section, Duration partitionDiscoveryInterval) {
    this.section = section;
    this.partitionDiscoveryInterval = partitionDiscoveryInterval;
  }

  private static final Set<String> KNOWN_KEYS = computeKnownKeys();

  /** Every full key the backend reads, for core's unknown-key check and "did you mean" hints. */
  static Set<String> knownKeys() {
    return KNOWN_KEYS;
  }

  private static Set<String> computeKnownKeys() {
    Set<String> keys = new TreeSet<>();
    for (String k : OWN_KEYS) {
      keys.add(PREFIX + k);
    }
    for (Set<String> names : List.of(PRODUCER_NAMES, CONSUMER_NAMES, ADMIN_NAMES)) {
      for (String k : names) {
        if (!RESERVED.containsKey(k)) {
          keys.add(PREFIX + k);
        }
      }
    }
    return Collections.unmodifiableSet(keys);
  }

  /** Whether a full {@code sluice.kafka.*} key is one this backend reads. */
  static boolean accepts(String key) {
    if (!key.startsWith(PREFIX)) {
      return false;
    }
    String name = key.substring(PREFIX.length());
    if (OWN_KEYS.contains(name)) {
      return true;
    }
    if (name.startsWith(PRODUCER_PREFIX)) {
      return PRODUCER_NAMES.contains(name.substring(PRODUCER_PREFIX.length()));
    }
    if (name.startsWith(CONSUMER_PREFIX)) {
      return CONSUMER_NAMES.contains(name.substring(CONSUMER_PREFIX.length()));
    }
    if (name.startsWith(ADMIN_PREFIX)) {
      return ADMIN_NAMES.contains(name.substring(ADMIN_PREFIX.length()));
    }
    return PRODUCER_NAMES.contains(name)
        || CONSUMER_NAMES.contains(name)
        || ADMIN_NAMES.contains(name);
  }

  /**
   * Reads and checks the section (keys without the {@code sluice.kafka.} prefix).
   *
   * @throws SluiceException {@code INVALID_CONFIG} for a missing bootstrap.servers, a setting
   *     Sluice owns, or a value Kafka would refuse
   */
  static KafkaSettings from(Map<String, String> section) {
    Map<String, String> copy = new TreeMap<>(section);
    for (String key : copy.keySet()) {
      String name = unprefixed(key);
      String reason = RESERVED.get(name);
      if (reason != null) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "'"
                + PREFIX
                + key
                + "' cannot be set: "
                + reason
                + ". Remove it from the configuration");
      }
    }
    String servers = copy.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    if (servers == null || servers.isBlank()) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "'"
              + PREFIX
              + "bootstrap.servers' is required with sluice.backend=kafka: the Kafka brokers to"
              + " connect to, e.g. "
              + PREFIX
              + "bootstrap.servers=broker1:9092,broker2:9092");
    }
    Duration discovery =
        Duration.ofMillis(
            ConfigValues.wholeNumber(
                PREFIX + PARTITION_DISCOVERY_INTERVAL_MS,
                copy.get(PARTITION_DISCOVERY_INTERVAL_MS),
                10_000,
                10,
                Long.MAX_VALUE));
    KafkaSettings settings = new KafkaSettings(Collections.unmodifiableMap(copy), discovery);
    settings.checkGroupProtocol();
    // Let Kafka check every value now, so a bad one fails at open rather than at first use.
    settings.check(ProducerConfig.configDef(), settings.producerProperties("sluice-check"));
    settings.check(
        ConsumerConfig.configDef(), settings.consumerProperties("sluice-check", "check", 500));
    settings.check(AdminClientConfig.configDef(), settings.adminProperties("sluice-check"));
    return settings;
  }

  /** With the consumer protocol the broker owns these; Kafka would refuse them at first use. */
  private void checkGroupProtocol() {
    Map<String, Object> consumer = forClient(CONSUMER_NAMES, CONSUMER_PREFIX);
    if (isClassicProtocol(consumer)) {
      return;
    }
    for (String classicOnly :
        List.of(
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG)) {
      if (consumer.containsKey(classicOnly)) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "'"
                + PREFIX
                + classicOnly
                + "' applies to the classic group protocol only; with group.protocol=consumer the"
                + " broker sets it (group.consumer.* broker settings). Remove it, or use"
                + " group.protocol=classic");
      }
    }
  }

  private void check(ConfigDef def, Map<String, Object> properties) {
    try {
      def.parse(properties);
    } catch (ConfigException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "Invalid Kafka setting under " + PREFIX + ": " + e.getMessage(),
          e);
    }
  }

  private static String unprefixed(String key) {
    for (String p : new String[] {PRODUCER_PREFIX, CONSUMER_PREFIX, ADMIN_PREFIX}) {
      if (key.startsWith(p)) {
        return key.substring(p.length());
      }
    }
    return key;
  }

  /** The brokers the clients start from, for error messages. */
  String bootstrapServers() {
    return section.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
  }

  /** How often a standalone consumer looks for partitions added to its topic. */
  Duration partitionDiscoveryInterval() {
    return partitionDiscoveryInterval;
  }

  /** The producer's {@code max.request.size}: the largest request, so the largest record. */
  int maxRequestSize() {
    Object v = producerProperties("size").get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    return v == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(v.toString().trim());
  }

  /** True if the producer compresses (compressed incompressible data can grow a little). */
  boolean compresses() {
    Object v = producerProperties("size").get(ProducerConfig.COMPRESSION_TYPE_CONFIG);
    return v != null && !v.toString().trim().toLowerCase(Locale.ROOT).equals("none");
  }

  /**
   * Whether producers are idempotent (Sluice's default), so that Kafka's retries keep each key's
   * records in send order: not when the application set {@code acks} weaker than {@code all} (Kafka
   * then turns idempotence off) or {@code enable.idempotence=false}.
   */
  boolean idempotent() {
    Object v = producerProperties("order").get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
    return v != null && Boolean.parseBoolean(v.toString().trim());
  }

  /** The properties of a producer: idempotent, acks=all unless the application said otherwise. */
  Map<String, Object> producerProperties(String clientId) {
    Map<String, Object> p = forClient(PRODUCER_NAMES, PRODUCER_PREFIX);
    p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    String acks = p.get(ProducerConfig.ACKS_CONFIG).toString().trim();
    // Idempotence keeps per-key order under retries; it needs acks=all. If the application chose
    // weaker acks it chose weaker guarantees too; Kafka then turns idempotence off by itself.
    if (acks.equals("all") || acks.equals("-1")) {
      p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    }
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId(p, clientId));
    return p;
  }

  /**
   * The properties of a consumer; {@code group} null for a standalone consumer (no group, no
   * commits).
   */
  Map<String, Object> consumerProperties(String clientId, @Nullable String group, int maxPoll) {
    Map<String, Object> p = forClient(CONSUMER_NAMES, CONSUMER_PREFIX);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId(p, clientId));
    // Start positions are applied by the driver; this only decides where a committed offset
    // that retention has already deleted resumes: at the oldest record left, losing nothing more.
    p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    if (maxPoll > 0) {
      p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPoll));
    }
    // Sluice pauses a partition whose handler falls behind. Once resumed, it is fetched again only
    // with the next fetch request to its broker, and the one in flight may be parked there for up
    // to fetch.max.wait.ms when the other partitions are caught up: at Kafka's 500 ms that stalled
    // a resumed partition for half a second (measured, benchmarks/). 100 ms bounds the stall; an
    // idle consumer then asks its brokers 10 times a second instead of twice.
    p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(FETCH_MAX_WAIT_MS));
    if (group != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      if (isClassicProtocol(p)) {
        // Cooperative rebalancing: only the partitions that move are revoked, the others keep
        // being consumed while the group rebalances.
        p.putIfAbsent(
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
            CooperativeStickyAssignor.class.getName());
      }
    }
    return p;
  }

  Map<String, Object> adminProperties(String clientId) {
    Map<String, Object> p = forClient(ADMIN_NAMES, ADMIN_PREFIX);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId(p, clientId));
    return p;
  }

  static boolean isClassicProtocol(Map<String, Object> consumerProperties) {
    Object protocol = consumerProperties.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    return protocol == null || protocol.toString().trim().equalsIgnoreCase("classic");
  }

  private Map<String, Object> forClient(Set<String> names, String prefix) {
    Map<String, Object> p = new HashMap<>();
    section.forEach(
        (k, v) -> {
          if (names.contains(k)) {
            p.put(k, v);
          }
        });
    section.forEach(
        (k, v) -> {
          if (k.startsWith(prefix) && names.contains(k.substring(prefix.length()))) {
            p.put(k.substring(prefix.length()), v);
          }
        });
    return p;
  }

  /** The application's client.id, if it set one, as a prefix of Sluice's unique one. */
  private static String clientId(Map<String, Object> p, String clientId) {
    Object own = p.get(CommonClientConfigs.CLIENT_ID_CONFIG);
    return own == null || own.toString().isBlank() ? clientId : own + "-" + clientId;
  }
}
