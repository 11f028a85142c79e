package dev.sluice.testbrokers;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.metadata.storage.Formatter;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker running inside this JVM: one KRaft node that is both broker and
 * controller, listening on loopback, with its data in a temporary directory. For integration tests
 * and benchmarks; not for production.
 *
 * <p>It is configured for a single node (every replication factor and min ISR is 1, so consumer
 * groups of both the {@code classic} and the {@code consumer} protocol and transactions work), to
 * start fast (no initial rebalance delay, short broker session) and to stay small. Topics are
 * <em>not</em> created automatically: create them with an {@code Admin} client, as on a production
 * cluster, or pass {@code auto.create.topics.enable=true} to {@link Builder#config}.
 *
 * <p>The ports are chosen once, when the broker is built, and kept for its whole life: {@link
 * #stop()} and {@link #start()} (or {@link #restart()}) bring the broker back on the same address
 * with the same data, so clients that were connected before reconnect by themselves. This is what
 * fault tests need: "the broker went away mid-stream and came back".
 *
 * <pre>{@code
 * try (KafkaBroker broker = KafkaBroker.startNew()) {
 *   Map<String, Object> config = Map.of("bootstrap.servers", broker.bootstrapServers());
 *   // ... produce and consume with any Kafka client
 *   broker.restart(); // same address, same data
 * } // stopped, data deleted
 * }</pre>
 *
 * <p>In JUnit 5 tests, prefer {@link KafkaBrokerExtension}: it shares one broker across the whole
 * test run. All methods are thread-safe.
 */
public final class KafkaBroker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

  private static final String LOOPBACK = "127.0.0.1";
  private static final int NODE_ID = 1;
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  /** How long {@link #start()} waits for its ports when someone else holds them. */
  private static final long BIND_RETRY_MILLIS = 10_000;

  private static boolean exitGuardInstalled;

  private final int brokerPort;
  private final int controllerPort;
  private final Path dataDirectory;
  private final Properties serverProperties;
  private final Thread cleanupOnExit;

  private @Nullable KafkaRaftServer server;
  private boolean formatted;
  private boolean closed;

  private KafkaBroker(Map<String, String> overrides) {
    int[] ports = freeLoopbackPorts(2);
    this.brokerPort = ports[0];
    this.controllerPort = ports[1];
    try {
      this.dataDirectory = Files.createTempDirectory("sluice-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a data directory for the Kafka broker", e);
    }
    this.serverProperties = serverProperties(overrides);
    // If the JVM ends without close() (a killed test fork, System.exit in a benchmark), at least
    // do not leave the data behind in the temp directory.
    // close() is synchronized and stops the broker before deleting its data, so the hook never
    // deletes files under a broker that someone else's hook is still shutting down.
    this.cleanupOnExit = new Thread(this::close, "sluice-kafka-shutdown");
    Runtime.getRuntime().addShutdownHook(cleanupOnExit);
  }

  /** Builds a broker with the default configuration and starts it. */
  public static KafkaBroker startNew() {
    KafkaBroker broker = builder().build();
    try {
      broker.start();
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    return broker;
  }

  /** A builder for a broker with configuration overrides; the broker it builds is not started. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the broker and returns once it accepts clients. The first start formats the storage;
   * later starts reuse the data and the ports of the first.
   *
   * @throws IllegalStateException if the broker is running or closed
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("The Kafka broker is closed");
    }
    if (server != null) {
      throw new IllegalStateException("The Kafka broker is already running");
    }
    installExitGuard();
    long started = System.nanoTime();
    KafkaConfig config = KafkaConfig.fromProps(serverProperties, false);
    if (!formatted) {
      format(config);
      formatted = true;
    }
    long deadline = System.currentTimeMillis() + BIND_RETRY_MILLIS;
    while (true) {
      // Wait here for a port someone briefly holds, instead of letting Kafka fail loudly on it.
      awaitPortsFree(deadline);
      KafkaRaftServer candidate = new KafkaRaftServer(config, Time.SYSTEM);
      try {
        candidate.startup();
        server = candidate;
        break;
      } catch (RuntimeException e) {
        shutDown(candidate);
        if (!isBindFailure(e) || System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "The Kafka broker did not start on " + bootstrapServers(), e);
        }
        log.warn("Port of the Kafka broker is still in use; retrying: {}", e.toString());
        sleep(100);
      }
    }
    log.info(
        "Kafka broker started on {} in {} ms (data in {})",
        bootstrapServers(),
        (System.nanoTime() - started) / 1_000_000,
        dataDirectory);
  }

  /**
   * Shuts the broker down cleanly and keeps its data, so {@link #start()} brings it back as it was.
   * Does nothing if it is not running.
   */
  public synchronized void stop() {
    KafkaRaftServer running = server;
    if (running == null) {
      return;
    }
    server = null;
    long started = System.nanoTime();
    shutDown(running);
    log.info(
        "Kafka broker on {} stopped in {} ms",
        bootstrapServers(),
        (System.nanoTime() - started) / 1_000_000);
  }

  /** Stops the broker and starts it again on the same address with the same data. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** Whether the broker is running. */
  public synchronized boolean isRunning() {
    return server != null;
  }

  /**
   * The value for a client's {@code bootstrap.servers}, such as {@code 127.0.0.1:40123}. It stays
   * the same across {@link #restart()}.
   */
  public String bootstrapServers() {
    return LOOPBACK + ":" + brokerPort;
  }

  /** The port clients connect to. */
  public int port() {
    return brokerPort;
  }

  /** The directory holding the broker's data; deleted by {@link #close()}. */
  public Path dataDirectory() {
    return dataDirectory;
  }

  /**
   * Stops the broker and deletes its data. Calling it again does nothing. Always close a broker you
   * started yourself: Kafka's threads are not daemon threads, so a running broker keeps the JVM
   * from exiting.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stop();
    } finally {
      deleteRecursively(dataDirectory);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down; the hook deletes the (already deleted) data again.
      }
    }
  }

  @Override
  public String toString() {
    return "KafkaBroker[" + bootstrapServers() + (isRunning() ? ", running]" : ", stopped]");
  }

  private Properties serverProperties(Map<String, String> overrides) {
    Properties p = new Properties();
    // One node, both roles, a static quorum of itself.
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", String.valueOf(NODE_ID));
    p.setProperty("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
    p.setProperty("controller.listener.names", CONTROLLER_LISTENER);
    p.setProperty("inter.broker.listener.name", BROKER_LISTENER);
    p.setProperty(
        "listeners",
        BROKER_LISTENER
            + "://"
            + LOOPBACK
            + ":"
            + brokerPort
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + LOOPBACK
            + ":"
            + controllerPort);
    p.setProperty("advertised.listeners", BROKER_LISTENER + "://" + LOOPBACK + ":" + brokerPort);
    p.setProperty(
        "listener.security.protocol.map",
        BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.setProperty("log.dirs", dataDirectory.resolve("logs").toString());

    // A single replica of everything, internal topics included.
    p.setProperty("default.replication.factor", "1");
    p.setProperty("min.insync.replicas", "1");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "5");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "5");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("auto.create.topics.enable", "false");

    // Fast: no waiting for more group members, quick broker liveness, quick group reactions.
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("broker.session.timeout.ms", "2000");
    p.setProperty("broker.heartbeat.interval.ms", "500");
    // Classic protocol: let tests choose a short session.timeout.ms on the consumer.
    p.setProperty("group.min.session.timeout.ms", "1000");
    // Consumer protocol: session and heartbeat are set by the broker; a member learns its new
    // assignment on its next heartbeat, so a short interval makes rebalances quick.
    p.setProperty("group.consumer.session.timeout.ms", "6000");
    p.setProperty("group.consumer.min.session.timeout.ms", "1000");
    p.setProperty("group.consumer.heartbeat.interval.ms", "500");
    p.setProperty("group.consumer.min.heartbeat.interval.ms", "100");

    // Small: the broker shares the heap and the cores of the test JVM.
    p.setProperty("log.cleaner.dedupe.buffer.size", "2097152");
    p.setProperty("log.cleaner.threads", "1");
    p.setProperty("num.network.threads", "2");
    p.setProperty("num.io.threads", "4");
    p.setProperty("background.threads", "4");
    p.setProperty("num.recovery.threads.per.data.dir", "1");
    p.setProperty("num.replica.fetchers", "1");
    p.setProperty("group.coordinator.threads", "1");
    p.setProperty("share.coordinator.threads", "1");

    overrides.forEach(p::setProperty);
    return p;
  }

  private void format(KafkaConfig config) {
    Formatter formatter =
        new Formatter()
            .setClusterId(Uuid.randomUuid().toString())
            .setNodeId(config.nodeId())
            .setControllerListenerName(CONTROLLER_LISTENER)
            .setMetadataLogDirectory(config.metadataLogDir())
            .setPrintStream(
                new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
    config.logDirs().forEach(formatter::addDirectory);
    formatter.addDirectory(config.metadataLogDir());
    try {
      formatter.run();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot format the Kafka storage in " + dataDirectory, e);
    }
  }

  private static void shutDown(KafkaRaftServer server) {
    server.shutdown();
    server.awaitShutdown();
  }

  private void awaitPortsFree(long deadline) {
    while (!canBind(brokerPort) || !canBind(controllerPort)) {
      if (System.currentTimeMillis() > deadline) {
        return; // let Kafka's startup report which port it cannot bind
      }
      sleep(100);
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Kafka halts the JVM on a fatal broker error, which would end the whole test run without a word.
   * Make such an error throw in the failing broker thread instead, and log it.
   */
  private static synchronized void installExitGuard() {
    if (exitGuardInstalled) {
      return;
    }
    Exit.Procedure guard =
        (status, message) -> {
          log.error(
              "The in-process Kafka broker asked to end the JVM (status {}): {}", status, message);
          throw new IllegalStateException(
              "The in-process Kafka broker failed fatally (status " + status + "): " + message);
        };
    Exit.setExitProcedure(guard);
    Exit.setHaltProcedure(guard);
    exitGuardInstalled = true;
  }

  private static int[] freeLoopbackPorts(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      // Hold all of them open at once so the ports are distinct.
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket();
        sockets[i].setReuseAddress(true);
        sockets[i].bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on " + LOOPBACK, e);
    } finally {
      for (ServerSocket socket : sockets) {
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException e) {
            log.debug("Ignoring failure to close a port probe", e);
          }
        }
      }
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.deleteIfExists(path);
                } catch (IOException e) {
                  log.warn("Cannot delete {}: {}", path, e.toString());
                }
              });
    } catch (IOException e) {
      log.warn("Cannot delete the Kafka data in {}: {}", root, e.toString());
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting the Kafka broker", e);
    }
  }

  /**
   * Builds a {@link KafkaBroker} with broker configuration overrides.
   *
   * <pre>{@code
   * KafkaBroker broker = KafkaBroker.builder().config("auto.create.topics.enable", "true").build();
   * broker.start();
   * }</pre>
   */
  public static final class Builder {
    private final Map<String, String> overrides = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets a broker property (see Kafka's broker configuration), replacing this class's default.
     * Listener, quorum and directory properties are set by the broker itself; change them at your
     * own risk.
     */
    public Builder config(String name, String value) {
      overrides.put(name, value);
      return this;
    }

    /** Builds the broker, choosing its ports and data directory; it is not started. */
    public KafkaBroker build() {
      return new KafkaBroker(overrides);
    }
  }
}
