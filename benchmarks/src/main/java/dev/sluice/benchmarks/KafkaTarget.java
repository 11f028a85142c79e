package dev.sluice.benchmarks;

import dev.sluice.testbrokers.KafkaBroker;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The Kafka cluster a run measures on: the one {@code --bootstrap} names, or the tests' KRaft
 * broker started for the run (in a JVM of its own by default). Started once per run, so the client
 * rows and the pipeline rows share one broker.
 */
final class KafkaTarget implements AutoCloseable {
  final String bootstrap;

  /** Where the broker runs, for the table's notes. */
  final String description;

  private final @Nullable AutoCloseable started;

  private KafkaTarget(String bootstrap, String description, @Nullable AutoCloseable started) {
    this.bootstrap = bootstrap;
    this.description = description;
    this.started = started;
  }

  static KafkaTarget open(Options options, Progress progress) throws Exception {
    if (options.bootstrap != null) {
      return new KafkaTarget(options.bootstrap, "cluster at " + options.bootstrap, null);
    }
    if (options.brokerInThisJvm) {
      progress.note("kafka: starting an in-process KRaft broker in this JVM");
      KafkaBroker inProcess = KafkaBroker.startNew();
      return new KafkaTarget(
          inProcess.bootstrapServers(), "KRaft broker in the benchmark's JVM", inProcess);
    }
    progress.note("kafka: starting the in-process KRaft broker in a JVM of its own");
    BrokerProcess separate =
        BrokerProcess.start(
            options.output.toAbsolutePath().resolveSibling("bench-broker.log"), options.brokerData);
    return new KafkaTarget(
        separate.bootstrapServers(),
        String.format(
            Locale.ROOT,
            "KRaft broker in a JVM of its own on this machine%s",
            options.brokerData == null ? "" : ", log in " + options.brokerData),
        separate);
  }

  /** True when the broker runs in another JVM: this JVM's CPU time is then the clients' alone. */
  static boolean clientOnly(Options options) {
    return options.bootstrap != null || !options.brokerInThisJvm;
  }

  @Override
  public void close() throws Exception {
    if (started != null) {
      started.close();
    }
  }
}
