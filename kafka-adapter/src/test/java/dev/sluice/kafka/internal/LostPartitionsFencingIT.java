package dev.sluice.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kafka.KafkaOptions;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.TransactionSpec;
import dev.sluice.spi.WriteId;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import dev.sluice.testkit.Await;
import dev.sluice.testkit.RecordCollector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A member that lost its partitions (its poll stalled past {@code max.poll.interval.ms}, so Kafka
 * dropped it from the group) is a zombie: a transaction that commits checkpoints with its group
 * metadata must fail {@code FENCED}, and store neither its outputs nor its checkpoints. Seen here
 * with kafka-clients 4.x: at {@code onPartitionsLost} the consumer's metadata still names the old
 * generation and member, which the group coordinator refuses ({@code CommitFailedException}); the
 * driver reports that as {@code FENCED}, not as a failed checkpoint. (Metadata of generation -1,
 * which the coordinator would accept in a transaction, is refused by the driver itself: see {@code
 * KafkaTransactionDriverTest}.)
 */
@ExtendWith(KafkaBrokerExtension.class)
class LostPartitionsFencingIT {
  private static KafkaBroker broker;

  @Test
  @DisplayName(
      "a transaction committing checkpoints of partitions Kafka reports lost fails FENCED, so do"
          + " its later sends, and neither its outputs nor its checkpoints are stored")
  void commitAfterLossIsFenced() throws Exception {
    String input = "lost-in-" + UUID.randomUUID().toString().substring(0, 8);
    String output = "lost-out-" + UUID.randomUUID().toString().substring(0, 8);
    String group = "lost-g-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> options =
        KafkaOptions.builder()
            .bootstrapServers(broker.bootstrapServers())
            .sessionTimeout(Duration.ofSeconds(6))
            .set("consumer.heartbeat.interval.ms", "300")
            .set("consumer.max.poll.interval.ms", "1500")
            .build()
            .asMap();
    try (Sluice sluice = Sluice.builder().ignoreEnvironment().properties(options).open()) {
      sluice.admin().createStream(input, StreamSpec.withShards(1));
      sluice.admin().createStream(output, StreamSpec.withShards(1));
      try (Producer<String, String> p = sluice.producer(input, Serde.string(), Serde.string())) {
        for (int i = 0; i < 10; i++) {
          p.send("k", "v" + i).get(30, TimeUnit.SECONDS);
        }
      }
      RecordCollector<String, String> outputs =
          RecordCollector.of(sluice, output, Serde.string(), Serde.string());
      KafkaBackend backend =
          new KafkaBackend(KafkaSettings.from(unprefixed(options)), /* registry */ null);
      TransactionDriver tx =
          backend.transactions(new TransactionSpec("lost-tx-" + group, "lost-tx", null));
      ConsumerDriver consumer =
          backend.consumer(
              new ConsumerSpec(input, group, StartPosition.earliest(), "lost-consumer", 100));
      CompletableFuture<Throwable> commitOutcome = new CompletableFuture<>();
      CompletableFuture<Throwable> laterSendOutcome = new CompletableFuture<>();
      CountDownLatch delivered = new CountDownLatch(1);
      AtomicBoolean stalled = new AtomicBoolean();
      try {
        consumer.start(
            new DeliverySink() {
              @Override
              public void assigned(Set<Shard> shards) {}

              @Override
              public Map<Shard, Position> revoked(Set<Shard> shards, boolean lost) {
                if (lost && !commitOutcome.isDone()) {
                  // What a processor's commit does, with the metadata Kafka has at this moment.
                  System.out.println(
                      "DEBUG metadata at loss: "
                          + ((KafkaConsumerDriver) consumer).groupMetadata());
                  try {
                    tx.begin();
                    tx.send(
                        output,
                        Record.of(bytes("k"), bytes("from-the-zombie")),
                        new WriteId("w", Position.of(9), 0),
                        IGNORED);
                    tx.sendCheckpoints(consumer, Map.of(Shard.of(0), Position.of(9)));
                    tx.commit();
                    commitOutcome.complete(null);
                  } catch (RuntimeException e) {
                    commitOutcome.complete(e);
                    // What the zombie's handlers do meanwhile: send into the refused transaction.
                    tx.send(
                        output,
                        Record.of(bytes("k"), bytes("after-the-refusal")),
                        new WriteId("w", Position.of(10), 0),
                        new SendCallback() {
                          @Override
                          public void sent(Shard shard, Position position, long timestampMillis) {
                            laterSendOutcome.complete(null);
                          }

                          @Override
                          public void failed(Throwable error) {
                            laterSendOutcome.complete(error);
                          }
                        });
                    try {
                      tx.abort();
                    } catch (RuntimeException ignored) {
                      // Aborting after a fatal error may fail too; nothing was committed.
                    }
                  }
                }
                return Map.of();
              }

              @Override
              public void deliver(
                  Shard shard,
                  List<Record<byte[], byte[]>> records,
                  long millisBehindLatest,
                  long recordsBehindLatest) {
                delivered.countDown();
                if (stalled.compareAndSet(false, true)) {
                  // The poll thread stalls past max.poll.interval.ms: Kafka drops the member.
                  sleepQuietly(Duration.ofMillis(4_000));
                }
              }

              @Override
              public boolean shardEnded(Shard shard) {
                return true;
              }

              @Override
              public void failed(Throwable error) {}
            });
        assertThat(delivered.await(60, TimeUnit.SECONDS)).as("records delivered").isTrue();

        Throwable outcome = commitOutcome.get(60, TimeUnit.SECONDS);

        assertThat(outcome).as("the zombie's commit").isInstanceOf(SluiceException.class);
        assertThat(((SluiceException) outcome).code()).isEqualTo(ErrorCode.FENCED);
        // Kafka fails the transaction's later sends with the refusal: the first error a
        // processor sees may be one of them, and it must say FENCED too.
        Throwable laterSend = laterSendOutcome.get(60, TimeUnit.SECONDS);
        assertThat(laterSend).as("a send after the refusal").isInstanceOf(SluiceException.class);
        assertThat(((SluiceException) laterSend).code()).isEqualTo(ErrorCode.FENCED);
        try (Admin admin =
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
          Map<TopicPartition, OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
          assertThat(committed.get(new TopicPartition(input, 0)))
              .as("the group's checkpoint")
              .isNull();
        }
        Await.holdsFor(
            "no output of the fenced transaction is received",
            Duration.ofSeconds(2),
            () -> outputs.size() == 0);
      } finally {
        consumer.close();
        tx.close(Duration.ofSeconds(5));
        outputs.close();
        backend.close();
      }
    }
  }

  private static final SendCallback IGNORED =
      new SendCallback() {
        @Override
        public void sent(Shard shard, Position position, long timestampMillis) {}

        @Override
        public void failed(Throwable error) {}
      };

  private static Map<String, String> unprefixed(Map<String, String> options) {
    Map<String, String> section = new java.util.TreeMap<>();
    options.forEach((k, v) -> section.put(k.substring(KafkaOptions.PREFIX.length()), v));
    return section;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
