package dev.sluice.kafka;

import static dev.sluice.kafka.KafkaTestSupport.await;
import static dev.sluice.kafka.KafkaTestSupport.fresh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Destination;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A healthy exactly-once processor keeps its consumer while other members join and leave its group
 * (cooperative rebalances): a rebalance that leaves it a member must not fail its transaction's
 * commit as a zombie's, which would restart its consumer, rebalance the group again and fail the
 * next member's commit in turn (a restart cascade). A restart is what a user sees as the member's
 * consumer being replaced: a new client in the group.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaProcessorRebalanceIT {
  private static KafkaBroker broker;

  @Test
  @DisplayName(
      "an exactly-once processor keeps its consumer (no restart) while two more members join and"
          + " leave its group under steady input")
  void noRestartWhileMembersComeAndGo() throws Exception {
    String input = fresh("eos-rb-in");
    String output = fresh("eos-rb-out");
    String group = fresh("eos-rb-g");
    AtomicBoolean sending = new AtomicBoolean(true);
    try (Sluice a = member("member-a");
        Admin admin =
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      a.admin().createStream(input, StreamSpec.withShards(6));
      a.admin().createStream(output, StreamSpec.withShards(6));
      CompletableFuture<Void> feeder;
      try (Producer<String, String> producer = a.producer(input, Serde.string(), Serde.string())) {
        feeder =
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; sending.get(); i++) {
                    producer.send("k" + (i % 60), "v" + i).join();
                  }
                });
        Set<String> clientsOfA = new LinkedHashSet<>();
        try (Processor pa = copier(a, input, output, group)) {
          await(
              "member a owns all 6 shards",
              Duration.ofSeconds(60),
              () -> pa.assignment().size() == 6);
          clientsOfA.add(clientOf(admin, group, "member-a"));
          for (int round = 0; round < 2; round++) {
            try (Sluice b = member("member-b");
                Sluice c = member("member-c");
                Processor pb = copier(b, input, output, group)) {
              await(
                  "a and b share the shards",
                  Duration.ofSeconds(60),
                  () ->
                      !pb.assignment().isEmpty()
                          && pa.assignment().size() + pb.assignment().size() == 6);
              clientsOfA.add(clientOf(admin, group, "member-a"));
              try (Processor pc = copier(c, input, output, group)) {
                await(
                    "a, b and c share the shards",
                    Duration.ofSeconds(60),
                    () ->
                        !pc.assignment().isEmpty()
                            && !pb.assignment().isEmpty()
                            && pa.assignment().size()
                                    + pb.assignment().size()
                                    + pc.assignment().size()
                                == 6);
                clientsOfA.add(clientOf(admin, group, "member-a"));
              }
            }
            await(
                "a owns all 6 shards again",
                Duration.ofSeconds(60),
                () -> pa.assignment().size() == 6);
            clientsOfA.add(clientOf(admin, group, "member-a"));
          }
          System.out.printf(
              "kafka EOS rebalances: member a's consumers %s (%d restarts)%n",
              clientsOfA, clientsOfA.size() - 1);
          assertThat(clientsOfA)
              .as("member a's consumer in the group (a new one after every restart)")
              .hasSize(1);
        }
        sending.set(false);
        feeder.get(60, TimeUnit.SECONDS);
      } finally {
        sending.set(false);
      }
    }
  }

  /** The client id of the one member whose client id starts with {@code prefix}. */
  private static String clientOf(Admin admin, String group, String prefix) throws Exception {
    ConsumerGroupDescription d =
        admin.describeConsumerGroups(Set.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
    return d.members().stream()
        .map(MemberDescription::clientId)
        .filter(id -> id.startsWith(prefix))
        .reduce((x, y) -> x + "," + y)
        .orElse(prefix + ": not a member");
  }

  private static Sluice member(String clientId) {
    return KafkaTestSupport.open(broker, Map.of("consumer.client.id", clientId));
  }

  private static Processor copier(Sluice sluice, String input, String output, String group) {
    Destination<String, String> to = Destination.of(output, Serde.string(), Serde.string());
    return sluice
        .processor(input, Serde.string(), Serde.string())
        .group(group)
        .output(to)
        .guarantee(ProcessingGuarantee.EXACTLY_ONCE)
        .commitInterval(Duration.ofMillis(20))
        .start((in, out) -> out.send(to, in.key(), in.value()));
  }
}
