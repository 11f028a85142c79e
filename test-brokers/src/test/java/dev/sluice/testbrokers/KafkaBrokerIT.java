package dev.sluice.testbrokers;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("An in-process Kafka broker")
class KafkaBrokerIT {

  private static final Logger log = LoggerFactory.getLogger(KafkaBrokerIT.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final KafkaBroker broker;

  KafkaBrokerIT(KafkaBroker broker) {
    this.broker = broker;
  }

  @Test
  @DisplayName("delivers records to a classic-protocol group, also after a restart mid-stream")
  void deliversAcrossARestart() throws Exception {
    String topic = createTopic(3);
    try (KafkaProducer<String, String> producer = producer(Map.of());
        KafkaConsumer<String, String> consumer = consumer("classic", Map.of())) {
      consumer.subscribe(List.of(topic));

      send(producer, topic, "before-", 100);
      assertThat(values(poll(consumer, 100)))
          .containsExactlyInAnyOrderElementsOf(values("before-", 100));
      consumer.commitSync();

      String addressBefore = broker.bootstrapServers();
      broker.restart();
      assertThat(broker.bootstrapServers()).isEqualTo(addressBefore);

      // The same clients, still open, reconnect to the same address and see the same data.
      send(producer, topic, "after-", 100);
      assertThat(values(poll(consumer, 100)))
          .containsExactlyInAnyOrderElementsOf(values("after-", 100));
    }
  }

  @Test
  @DisplayName("delivers records to a consumer-protocol group")
  void deliversToAConsumerProtocolGroup() throws Exception {
    String topic = createTopic(2);
    try (KafkaProducer<String, String> producer = producer(Map.of());
        KafkaConsumer<String, String> consumer = consumer("consumer", Map.of())) {
      consumer.subscribe(List.of(topic));
      send(producer, topic, "record-", 100);
      assertThat(values(poll(consumer, 100)))
          .containsExactlyInAnyOrderElementsOf(values("record-", 100));
    }
  }

  @Test
  @DisplayName("supports transactions: read_committed consumers see committed records only")
  void supportsTransactions() throws Exception {
    String topic = createTopic(1);
    try (KafkaProducer<String, String> producer =
            producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + UUID.randomUUID()));
        KafkaConsumer<String, String> consumer =
            consumer("classic", Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      producer.initTransactions();
      producer.beginTransaction();
      send(producer, topic, "aborted-", 10);
      producer.abortTransaction();
      producer.beginTransaction();
      send(producer, topic, "committed-", 10);
      producer.commitTransaction();

      consumer.subscribe(List.of(topic));
      assertThat(values(poll(consumer, 10))).containsExactlyElementsOf(values("committed-", 10));
      assertThat(consumer.poll(Duration.ofMillis(500))).isEmpty();
    }
  }

  @Test
  @DisplayName("started on its own, it serves clients and deletes its data when closed")
  void startsOnItsOwnAndCleansUp() throws Exception {
    long started = System.nanoTime();
    KafkaBroker own = KafkaBroker.startNew();
    long startMillis = (System.nanoTime() - started) / 1_000_000;
    try (own) {
      assertThat(own.bootstrapServers()).isNotEqualTo(broker.bootstrapServers());
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, own.bootstrapServers()))) {
        assertThat(admin.describeCluster().nodes().get()).hasSize(1);
      }
      long stopped = System.nanoTime();
      own.stop();
      long stopMillis = (System.nanoTime() - stopped) / 1_000_000;
      long restarted = System.nanoTime();
      own.start();
      long restartMillis = (System.nanoTime() - restarted) / 1_000_000;
      log.info(
          "Own broker: startNew() {} ms, stop() {} ms, start() after stop {} ms",
          startMillis,
          stopMillis,
          restartMillis);
    }
    assertThat(own.isRunning()).isFalse();
    assertThat(own.dataDirectory()).doesNotExist();
  }

  @Test
  @DisplayName("waits for its port when it is briefly held by someone else")
  void waitsForItsPort() throws Exception {
    try (KafkaBroker own = KafkaBroker.startNew()) {
      own.stop();
      ServerSocket squatter = new ServerSocket();
      squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), own.port()));
      Thread release =
          new Thread(
              () -> {
                try {
                  Thread.sleep(1_000);
                  squatter.close();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      release.start();
      own.start();
      release.join();
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, own.bootstrapServers()))) {
        assertThat(admin.describeCluster().nodes().get()).hasSize(1);
      }
    }
  }

  private String createTopic(int partitions) throws Exception {
    String topic = "topic-" + UUID.randomUUID();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    return topic;
  }

  private KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>(extra);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  private KafkaConsumer<String, String> consumer(String groupProtocol, Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>(extra);
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "group-" + UUID.randomUUID());
    config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, groupProtocol);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
  }

  private static void send(
      KafkaProducer<String, String> producer, String topic, String prefix, int count)
      throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      acks.add(producer.send(new ProducerRecord<>(topic, "key-" + (i % 7), prefix + i)));
    }
    producer.flush();
    for (Future<RecordMetadata> ack : acks) {
      ack.get();
    }
  }

  /**
   * Polls until {@code expected} records arrived (or the timeout), then a little more for extras.
   */
  private static List<ConsumerRecord<String, String>> poll(
      KafkaConsumer<String, String> consumer, int expected) {
    List<ConsumerRecord<String, String>> received = new ArrayList<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (received.size() < expected && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(received::add);
    }
    consumer.poll(Duration.ofMillis(200)).forEach(received::add);
    return received;
  }

  private static List<String> values(List<ConsumerRecord<String, String>> records) {
    return records.stream().map(ConsumerRecord::value).toList();
  }

  private static List<String> values(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
  }
}
