package dev.sluice.testbrokers;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DynamoDB Local ({@code com.amazonaws:DynamoDBLocal}) running in this JVM as an HTTP server on a
 * free loopback port: the lease and checkpoint store the KCL needs next to the {@link
 * KinesisEmulator}.
 *
 * <p>It uses one shared database for every access key and region ({@code -sharedDb}), sends no
 * telemetry, and keeps its data in memory unless {@link #startPersistent(Path)} names a directory.
 * {@link #stop()} and {@link #start()} let fault tests take it away and bring it back on the same
 * port; in-memory data does not survive that, data in a directory does.
 *
 * <pre>{@code
 * try (DynamoDbLocal dynamo = DynamoDbLocal.startNew()) {
 *   DynamoDbClient client = DynamoDbClient.builder()
 *       .endpointOverride(dynamo.endpoint())
 *       .region(Region.of(dynamo.region()))
 *       .credentialsProvider(StaticCredentialsProvider.create(
 *           AwsBasicCredentials.create(dynamo.accessKeyId(), dynamo.secretAccessKey())))
 *       .build();
 * }
 * }</pre>
 *
 * <p>No native library setup is needed: DynamoDB Local 2.6 carries sqlite4java's natives for Linux,
 * macOS and Windows inside its jar and extracts the right one to a temporary file itself.
 */
public final class DynamoDbLocal implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbLocal.class);
  // Letters and digits only: DynamoDB Local 2.x rejects any other access key id.
  private static final String ACCESS_KEY_ID = "SLUICETESTACCESSKEY";
  private static final String SECRET_ACCESS_KEY = "sluicetestsecretkey";

  private final int port;
  private final @Nullable Path dbPath;
  private @Nullable DynamoDBProxyServer server;
  private Duration lastStartTime = Duration.ZERO;
  private boolean closed;

  private DynamoDbLocal(int port, @Nullable Path dbPath) {
    this.port = port;
    this.dbPath = dbPath;
  }

  /** Starts DynamoDB Local in memory on a free loopback port. */
  public static DynamoDbLocal startNew() {
    return startOnFreePort(null);
  }

  /**
   * Starts DynamoDB Local with its database in {@code directory} (created by the caller), so that
   * tables survive {@link #restart()}.
   */
  public static DynamoDbLocal startPersistent(Path directory) {
    return startOnFreePort(directory.toAbsolutePath());
  }

  private static DynamoDbLocal startOnFreePort(@Nullable Path dbPath) {
    RuntimeException failure = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      DynamoDbLocal dynamo = new DynamoDbLocal(LoopbackPorts.freePort(), dbPath);
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

  /** The region clients should name; any works, as the database is shared. */
  public String region() {
    return KinesisEmulator.REGION;
  }

  /**
   * A dummy access key id. DynamoDB Local accepts any key made of letters and digits only; it
   * rejects others ("The Access Key ID or security token is invalid").
   */
  public String accessKeyId() {
    return ACCESS_KEY_ID;
  }

  /** A dummy secret key; DynamoDB Local accepts any. */
  public String secretAccessKey() {
    return SECRET_ACCESS_KEY;
  }

  /** Whether the server is accepting requests. */
  public synchronized boolean isRunning() {
    return server != null;
  }

  /** How long the most recent start took. */
  public synchronized Duration startTime() {
    return lastStartTime;
  }

  /** Starts the server again on the same port after {@link #stop()}; does nothing while running. */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("DynamoDbLocal is closed");
    }
    if (server != null) {
      return;
    }
    long started = System.nanoTime();
    List<String> args = new ArrayList<>();
    if (dbPath == null) {
      args.add("-inMemory");
    } else {
      args.add("-dbPath");
      args.add(dbPath.toString());
    }
    args.addAll(List.of("-sharedDb", "-disableTelemetry", "-port", Integer.toString(port)));
    DynamoDBProxyServer created;
    try {
      created = ServerRunner.createServerFromCommandLineArgs(args.toArray(new String[0]));
      bindToLoopback(created);
      created.start();
    } catch (Exception e) {
      throw new IllegalStateException("DynamoDB Local did not start on port " + port, e);
    }
    server = created;
    lastStartTime = Duration.ofNanos(System.nanoTime() - started);
    LOG.info("Started DynamoDB Local on {} in {} ms", endpoint(), lastStartTime.toMillis());
  }

  /** Stops the server; clients then get connection errors until {@link #start()}. */
  public synchronized void stop() {
    DynamoDBProxyServer running = server;
    if (running == null) {
      return;
    }
    server = null;
    try {
      running.stop();
    } catch (Exception e) {
      throw new IllegalStateException("DynamoDB Local did not stop cleanly", e);
    }
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
    return "DynamoDbLocal[" + endpoint() + (dbPath == null ? ", in memory]" : ", " + dbPath + "]");
  }

  /**
   * DynamoDB Local binds all interfaces; tests have no business being reachable from the network,
   * so the connector is narrowed to loopback when its internals are as expected (else left as is).
   */
  private static void bindToLoopback(DynamoDBProxyServer proxy) {
    try {
      Field field = DynamoDBProxyServer.class.getDeclaredField("server");
      field.setAccessible(true);
      Server jetty = (Server) field.get(proxy);
      for (Connector connector : jetty.getConnectors()) {
        if (connector instanceof ServerConnector) {
          ((ServerConnector) connector).setHost(LoopbackPorts.HOST);
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("Could not narrow DynamoDB Local to loopback; it listens on all interfaces", e);
    }
  }
}
