package dev.sluice.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Raw clients and topics of one run, with the settings Sluice gets too. */
final class KafkaClients {
  private final Admin admin;
  private final String bootstrap;
  private final Options options;
  private final String run;
  private final List<String> created = new ArrayList<>();

  KafkaClients(Admin admin, String bootstrap, Options options, String run) {
    this.admin = admin;
    this.bootstrap = bootstrap;
    this.options = options;
    this.run = run;
  }

  String bootstrap() {
    return bootstrap;
  }

  /** The producer settings both sides use (serializers aside). */
  static Map<String, Object> producerSettings(Options options) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(options.lingerMs));
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(options.batchSize));
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, options.compression);
    return p;
  }

  /** The offset after the last record of each partition of {@code topic}, by partition number. */
  long[] endOffsets(String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
    for (int p = 0; p < options.shards; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    long[] ends = new long[options.shards];
    admin
        .listOffsets(latest)
        .all()
        .get(60, TimeUnit.SECONDS)
        .forEach((tp, info) -> ends[tp.partition()] = info.offset());
    return ends;
  }

  /** Creates a topic of this run with {@code --shards} partitions, and waits until it serves. */
  String topic(String what) throws Exception {
    String name = "bench-" + run + "-" + what;
    admin
        .createTopics(List.of(new NewTopic(name, Optional.of(options.shards), Optional.empty())))
        .all()
        .get(60, TimeUnit.SECONDS);
    awaitServed(name);
    created.add(name);
    return name;
  }

  /**
   * Waits until every partition's leader answers ListOffsets. Metadata names a leader a moment
   * before it takes writes; an idempotent producer writing then loses its first batch to
   * OUT_OF_ORDER_SEQUENCE_NUMBER (see test-brokers/README.md). Sluice's admin waits the same way.
   */
  private void awaitServed(String topic) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        if (d.partitions().size() == options.shards
            && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          Map<TopicPartition, OffsetSpec> ends = new LinkedHashMap<>();
          d.partitions()
              .forEach(
                  p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
          admin.listOffsets(ends).all().get(60, TimeUnit.SECONDS);
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Topic " + topic + " has no leaders after 60 s");
      }
      Thread.sleep(20);
    }
  }

  /** Deletes the topics of this run; at the end, so no deletion runs under a measurement. */
  void deleteAll() throws Exception {
    if (!created.isEmpty()) {
      admin.deleteTopics(created).all().get(60, TimeUnit.SECONDS);
      created.clear();
    }
  }

  KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> p = producerSettings(options);
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  KafkaConsumer<byte[], byte[]> consumer(String group) {
    Map<String, Object> c = readCommitted();
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true");
    c.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "1000");
    c.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    // A Sluice handler consumer asks for 5000 per poll (its records go to per-shard workers),
    // never more than its maxBufferedRecords.
    int maxPoll = options.maxBuffered > 0 ? Math.min(5000, options.maxBuffered) : 5000;
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPoll));
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * A consumer without a group that reads what was committed ({@code read_committed}), for {@link
   * KafkaConsumer#assign}: what a downstream reader of a pipeline's output sees.
   */
  KafkaConsumer<byte[], byte[]> observer() {
    Map<String, Object> c = readCommitted();
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** What the Sluice kafka backend sets on its consumers, so that every reader reads alike. */
  private Map<String, Object> readCommitted() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
    return c;
  }
}
