package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.fail;

import dev.sluice.ErrorCode;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the Kafka backend's integration tests share: the in-process KRaft broker, started once for
 * the whole test run by {@link KafkaBrokerExtension} (failsafe runs every IT of this module in one
 * JVM, so every test class gets the same broker), a {@link Sluice} on it opened for each test, and
 * helpers. Each test makes its own streams and groups, so the tests do not see each other's.
 */
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
abstract class KafkaTestSupport {
  /** The shared broker, set by {@link KafkaBrokerExtension}. */
  KafkaBroker broker;

  /** A Sluice on the broker, opened for each test. */
  Sluice sluice;

  @BeforeEach
  void open() {
    sluice = open(broker, Map.of());
  }

  @AfterEach
  void close() {
    sluice.close();
  }

  /** Short timeouts so that group changes and new partitions show quickly. */
  static Sluice open(KafkaBroker broker, Map<String, String> extra) {
    KafkaOptions.Builder options =
        KafkaOptions.builder()
            .bootstrapServers(broker.bootstrapServers())
            .sessionTimeout(Duration.ofSeconds(6))
            .partitionDiscoveryInterval(Duration.ofMillis(500))
            .set("consumer.heartbeat.interval.ms", "300")
            .set("metadata.max.age.ms", "1000");
    extra.forEach(options::set);
    return Sluice.builder().ignoreEnvironment().properties(options.build().asMap()).open();
  }

  static String fresh(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  String stream(int shards) {
    String name = fresh("stream");
    sluice.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("Timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static ErrorCode codeOf(Throwable t) {
    return SluiceException.from(t).code();
  }

  /** Tells when a consumer has its shards, so tests send only after it is ready. */
  static final class Assignments implements ShardListener {
    final Set<Shard> owned = ConcurrentHashMap.newKeySet();
    final List<Revoked> revocations = new CopyOnWriteArrayList<>();

    @Override
    public void onAssigned(Assigned event) {
      owned.addAll(event.shards());
    }

    @Override
    public void onRevoked(Revoked event) {
      owned.removeAll(event.shards());
      revocations.add(event);
    }
  }
}
