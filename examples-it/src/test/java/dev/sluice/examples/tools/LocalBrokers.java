package dev.sluice.examples.tools;

import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KinesisEmulator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts real brokers on loopback for running the example apps by hand, prints the Sluice settings
 * that reach them, and stops them (deleting their data) when its standard input closes. Run by
 * {@code scripts/local-kafka.sh} and {@code scripts/local-kinesis.sh}:
 *
 * <ul>
 *   <li>{@code kafka}: one KRaft Kafka node (broker and controller) from Maven Central's {@code
 *       kafka_2.13}, with formatted storage in a temp directory;
 *   <li>{@code kinesis}: the {@code kinesis-local} emulator and, in memory, the {@code dynalite}
 *       DynamoDB emulator for the KCL's leases and checkpoints (both npm packages, installed into
 *       {@code target/} on first use; they need Node 20+).
 * </ul>
 *
 * <p>The settings are also written to {@code target/local-brokers/<backend>.properties}, for {@code
 * -Dsluice.config.file=...}. It lives in the test sources so the brokers stay test dependencies.
 */
public final class LocalBrokers {
  private LocalBrokers() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1 || !(args[0].equals("kafka") || args[0].equals("kinesis"))) {
      boolean help = args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"));
      (help ? System.out : System.err).println("Usage: LocalBrokers kafka|kinesis");
      System.exit(help ? 0 : 2);
    }
    // The emulator logs expected misses (a deleted stream polled until it is gone) as warnings
    // with stack traces; by hand, only its start and stop matter.
    System.setProperty("org.slf4j.simpleLogger.log.dev.sluice.testbrokers.KinesisEmulator", "warn");
    // Closed in reverse order of starting. The brokers' own shutdown hooks stop them if the JVM is
    // killed, but racing those hooks makes noise, so the normal way to stop is to close stdin.
    List<AutoCloseable> running = new ArrayList<>();
    Map<String, String> settings = new LinkedHashMap<>();
    if (args[0].equals("kafka")) {
      KafkaBroker broker = KafkaBroker.startNew();
      running.add(broker);
      settings.put("sluice.backend", "kafka");
      settings.put("sluice.kafka.bootstrap.servers", broker.bootstrapServers());
      System.out.println("Kafka broker (KRaft, one node) on " + broker.bootstrapServers());
    } else {
      DynamoDbEmulator dynamo = DynamoDbEmulator.startNew();
      running.add(dynamo);
      KinesisEmulator kinesis = KinesisEmulator.builder().start();
      running.add(kinesis);
      settings.put("sluice.backend", "kinesis");
      settings.put("sluice.kinesis.endpoint", kinesis.endpoint().toString());
      settings.put("sluice.kinesis.dynamodb.endpoint", dynamo.endpoint().toString());
      settings.put("sluice.kinesis.region", kinesis.region());
      // The emulator accepts any credentials; these keep the AWS SDK from looking for real ones.
      settings.put("sluice.kinesis.access.key.id", kinesis.accessKeyId());
      settings.put("sluice.kinesis.secret.access.key", kinesis.secretAccessKey());
      System.out.println("Kinesis emulator (kinesis-local) on " + kinesis.endpoint());
      System.out.println("dynalite (in memory) on " + dynamo.endpoint());
    }
    Path file = writeSettings(args[0], settings);
    printSettings(settings, file);
    // Until stdin closes: the scripts close it on Ctrl-C; typing Ctrl-D does too.
    while (System.in.read() != -1) {
      // ignore what is typed
    }
    System.out.println("Stopping...");
    for (int i = running.size() - 1; i >= 0; i--) {
      closeQuietly(running.get(i));
    }
    System.out.println("Stopped; data deleted.");
    // Some of the brokers' client libraries leave non-daemon threads behind; do not wait for them.
    System.exit(0);
  }

  private static void printSettings(Map<String, String> settings, Path file) {
    StringBuilder system = new StringBuilder();
    StringBuilder env = new StringBuilder();
    settings.forEach(
        (key, value) -> {
          system.append(" -D").append(key).append('=').append(value);
          env.append(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_'))
              .append('=')
              .append(value)
              .append(' ');
        });
    System.out.println();
    System.out.println("Run the examples against it with these settings (any one form):");
    System.out.println("  system properties:" + system);
    System.out.println("  environment:       " + env.toString().trim());
    System.out.println("  a config file:     -Dsluice.config.file=" + file);
    System.out.println("e.g.");
    System.out.println(
        "  mvn -q -pl examples -am compile exec:java"
            + " -Dexample=dev.sluice.examples.BankLedger -Dsluice.config.file="
            + file);
    System.out.println(
        "  SLUICE_CONFIG_FILE=" + file + " mvn -q -pl examples -am compile exec:java");
    System.out.println();
    System.out.println("Press Ctrl-C to stop.");
    System.out.flush();
  }

  private static Path writeSettings(String backend, Map<String, String> settings)
      throws IOException {
    Path dir = Path.of("target", "local-brokers").toAbsolutePath();
    Files.createDirectories(dir);
    Path file = dir.resolve(backend + ".properties");
    StringBuilder text = new StringBuilder("# Written by LocalBrokers; valid while it runs.\n");
    settings.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private static void closeQuietly(AutoCloseable resource) {
    long started = System.nanoTime();
    try {
      resource.close();
      System.out.printf(
          "Stopped %s in %d ms%n", resource, (System.nanoTime() - started) / 1_000_000);
    } catch (Exception e) {
      System.err.println("Could not stop " + resource + ": " + e);
    }
  }
}
