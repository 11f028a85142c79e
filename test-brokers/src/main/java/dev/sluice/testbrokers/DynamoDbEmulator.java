package dev.sluice.testbrokers;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DynamoDB API on the loopback interface: the open-source {@code dynalite} npm package
 * (Apache-2.0) run with Node, for the leases and checkpoints the KCL keeps next to the {@link
 * KinesisEmulator}.
 *
 * <p>The first start in a build directory installs the package with npm (needs the npm registry
 * once; Node 20 or newer). Tables turn {@code ACTIVE} within ~50 ms. Data is kept in memory unless
 * {@link #startPersistent(Path)} names a directory (a LevelDB store). {@link #stop()} and {@link
 * #start()} let fault tests take the server away and bring it back on the same port; in-memory data
 * does not survive that, data in a directory does.
 *
 * <pre>{@code
 * try (DynamoDbEmulator dynamo = DynamoDbEmulator.startNew()) {
 *   DynamoDbClient client = DynamoDbClient.builder()
 *       .endpointOverride(dynamo.endpoint())
 *       .region(Region.of(dynamo.region()))
 *       .credentialsProvider(StaticCredentialsProvider.create(
 *           AwsBasicCredentials.create(dynamo.accessKeyId(), dynamo.secretAccessKey())))
 *       .build();
 * }
 * }</pre>
 *
 * <p>What dynalite does not do, and what the KCL needs of it: it cannot add a global secondary
 * index to an existing table, so the KCL's lease table must be created with its {@code
 * LeaseOwnerToLeaseKeyIndex} in {@code CreateTable} (Sluice's Kinesis backend does that); it has no
 * TTL, no {@code TransactWriteItems} and no streams. Conditional writes, queries on an index and
 * scans work.
 */
public final class DynamoDbEmulator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbEmulator.class);
  private static final String ACCESS_KEY_ID = "SLUICETESTACCESSKEY";
  private static final String SECRET_ACCESS_KEY = "sluicetestsecretkey";
  private static final int START_ATTEMPTS = 3;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final String TABLE_STATE_MILLIS = "50";

  private final int port;
  private final @Nullable Path dataDirectory;
  private @Nullable NodeServer server;
  private Duration lastStartTime = Duration.ZERO;
  private boolean closed;

  private DynamoDbEmulator(int port, @Nullable Path dataDirectory) {
    this.port = port;
    this.dataDirectory = dataDirectory;
  }

  /** Starts the emulator in memory on a free loopback port. */
  public static DynamoDbEmulator startNew() {
    return startOnFreePort(null);
  }

  /**
   * Starts the emulator with its data in {@code directory} (created by the caller), so that tables
   * survive {@link #restart()}.
   */
  public static DynamoDbEmulator startPersistent(Path directory) {
    return startOnFreePort(directory.toAbsolutePath());
  }

  private static DynamoDbEmulator startOnFreePort(@Nullable Path dataDirectory) {
    RuntimeException failure = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      DynamoDbEmulator dynamo = new DynamoDbEmulator(LoopbackPorts.freePort(), dataDirectory);
      try {
        dynamo.start();
        return dynamo;
      } catch (RuntimeException e) {
        // Most likely another process took the free port between probe and bind.
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    throw failure;
  }

  /** {@code http://127.0.0.1:<port>}; the same across {@link #restart()}. */
  public URI endpoint() {
    return URI.create("http://" + LoopbackPorts.HOST + ":" + port);
  }

  /** The region clients should name; dynalite keeps one database whatever the region. */
  public String region() {
    return KinesisEmulator.REGION;
  }

  /** A dummy access key id; the emulator checks a request's signature format, not its keys. */
  public String accessKeyId() {
    return ACCESS_KEY_ID;
  }

  /** A dummy secret key. */
  public String secretAccessKey() {
    return SECRET_ACCESS_KEY;
  }

  /** Whether the server is accepting requests. */
  public synchronized boolean isRunning() {
    return server != null && server.isAlive();
  }

  /** How long the most recent start took. */
  public synchronized Duration startTime() {
    return lastStartTime;
  }

  /**
   * Starts the server again on the same port after {@link #stop()}; does nothing while running.
   * Installs dynalite first if this build directory has no copy.
   *
   * @throws org.opentest4j.TestAbortedException if {@code -Dsluice.it.kinesis=skip} is set
   * @throws IllegalStateException if Node.js 20+ is missing or the server does not start
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("DynamoDbEmulator is closed");
    }
    if (server != null) {
      return;
    }
    KinesisEmulator.abortIfSkipped();
    NpmPackage.DYNALITE.requireNode();
    List<String> args = new ArrayList<>();
    args.addAll(List.of("--host", LoopbackPorts.HOST, "--port", Integer.toString(port)));
    for (String state : List.of("--createTableMs", "--deleteTableMs", "--updateTableMs")) {
      args.add(state);
      args.add(TABLE_STATE_MILLIS);
    }
    if (dataDirectory != null) {
      args.add("--path");
      args.add(dataDirectory.toString());
    }
    long started = System.nanoTime();
    server = NodeServer.launch(NpmPackage.DYNALITE, args, Map.of(), List.of(port), START_TIMEOUT);
    lastStartTime = Duration.ofNanos(System.nanoTime() - started);
    LOG.info("Started {} in {} ms", this, lastStartTime.toMillis());
  }

  /** Stops the server; clients then get connection errors until {@link #start()}. */
  public synchronized void stop() {
    NodeServer running = server;
    if (running == null) {
      return;
    }
    server = null;
    running.stop();
  }

  /** {@link #stop()} then {@link #start()} on the same port. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** Stops the server for good. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    stop();
    closed = true;
  }

  @Override
  public String toString() {
    return "DynamoDbEmulator[dynalite, "
        + endpoint()
        + (dataDirectory == null ? ", in memory]" : ", " + dataDirectory + "]");
  }
}
