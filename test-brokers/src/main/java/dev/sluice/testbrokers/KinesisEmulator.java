package dev.sluice.testbrokers;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kinesis API on the loopback interface: the {@code kinesis-local} npm package
 * (kinesis-mock) run with Node, for integration tests, examples and benchmarks.
 *
 * <p>The first start in a build directory installs the package with npm (needs the npm registry
 * once); later starts reuse it. Streams turn {@code ACTIVE} within ~50 ms. The emulator keeps
 * everything in memory and is gone when {@link #close() closed}; a JVM shutdown hook also stops it,
 * so none outlives the tests.
 *
 * <pre>{@code
 * try (KinesisEmulator kinesis = KinesisEmulator.startNew()) {
 *   KinesisClient client = KinesisClient.builder()
 *       .endpointOverride(kinesis.endpoint())
 *       .region(Region.of(kinesis.region()))
 *       .credentialsProvider(StaticCredentialsProvider.create(
 *           AwsBasicCredentials.create(kinesis.accessKeyId(), kinesis.secretAccessKey())))
 *       .build();
 * }
 * }</pre>
 *
 * <p>Needs Node.js 18 or newer. With the system property {@code sluice.it.kinesis=skip} it does not
 * start and aborts the calling test instead (JUnit reports it as skipped).
 *
 * <p>What the emulator does not do: it has no per-shard read/write throughput limits (it never
 * answers {@code ProvisionedThroughputExceededException}); it does enforce the shard limit ({@link
 * Builder#shardLimit(int)}, {@value #DEFAULT_SHARD_LIMIT} by default) and fixed request-rate limits
 * on control-plane calls such as {@code DescribeStream} and {@code ListShards} ({@code
 * LimitExceededException}).
 */
public final class KinesisEmulator implements AutoCloseable {

  /** System property; {@value #SKIP_VALUE} skips every test that needs the Kinesis emulator. */
  public static final String SKIP_PROPERTY = "sluice.it.kinesis";

  /** The value of {@link #SKIP_PROPERTY} that skips the Kinesis tests. */
  public static final String SKIP_VALUE = "skip";

  /** The most shards the emulator's account may hold unless {@link Builder#shardLimit} says. */
  public static final int DEFAULT_SHARD_LIMIT = 500;

  /** The AWS region the emulator answers for by default. */
  public static final String REGION = "us-east-1";

  /** The account streams belong to when requests are signed with {@link #accessKeyId()}. */
  public static final String ACCOUNT_ID = "000000000000";

  private static final String ACCESS_KEY_ID = "SLUICETESTACCESSKEY";
  private static final String SECRET_ACCESS_KEY = "sluicetestsecretkey";

  /** Every setting of kinesis-mock that takes a duration; all are shortened for tests. */
  static final List<String> DURATION_SETTINGS =
      List.of(
          "CREATE_STREAM_DURATION",
          "DELETE_STREAM_DURATION",
          "REGISTER_STREAM_CONSUMER_DURATION",
          "DEREGISTER_STREAM_CONSUMER_DURATION",
          "START_STREAM_ENCRYPTION_DURATION",
          "STOP_STREAM_ENCRYPTION_DURATION",
          "MERGE_SHARDS_DURATION",
          "SPLIT_SHARD_DURATION",
          "UPDATE_SHARD_COUNT_DURATION",
          "UPDATE_STREAM_MODE_DURATION");

  /** Settings inherited from the caller's environment that would change the emulator's state. */
  private static final List<String> SCRUBBED_SETTINGS =
      List.of(
          "INITIALIZE_STREAMS",
          "PERSIST_PATH",
          "PERSIST_FILE_NAME",
          "PERSIST_INTERVAL",
          "KINESIS_MOCK_CERT_PATH",
          "KINESIS_MOCK_CERT_PASSWORD");

  private static final Logger LOG = LoggerFactory.getLogger(KinesisEmulator.class);
  private static final int START_ATTEMPTS = 3;
  private static final int OUTPUT_LINES_KEPT = 40;

  private final NodeServer server;
  private final int plainPort;
  private final int tlsPort;
  private final Duration startTime;
  private boolean closed;

  private KinesisEmulator(NodeServer server, int plainPort, int tlsPort, Duration startTime) {
    this.server = server;
    this.plainPort = plainPort;
    this.tlsPort = tlsPort;
    this.startTime = startTime;
  }

  /** Starts an emulator with the default settings and waits until it accepts connections. */
  public static KinesisEmulator startNew() {
    return builder().start();
  }

  /** Settings for an emulator that is not started yet. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether the build asked to skip the Kinesis tests ({@code -Dsluice.it.kinesis=skip}). */
  public static boolean skipRequested() {
    return SKIP_VALUE.equalsIgnoreCase(System.getProperty(SKIP_PROPERTY, "").trim());
  }

  /** Aborts the calling test (JUnit reports it skipped) when {@link #skipRequested()}. */
  static void abortIfSkipped() {
    if (skipRequested()) {
      System.out.println("[sluice] " + skipMessage());
      Assumptions.abort(skipMessage());
    }
  }

  static String skipMessage() {
    return "Kinesis integration tests skipped: -D" + SKIP_PROPERTY + "=" + SKIP_VALUE + " is set.";
  }

  /** The plain HTTP endpoint, {@code http://127.0.0.1:<port>}; use it as the endpoint override. */
  public URI endpoint() {
    return URI.create("http://" + LoopbackPorts.HOST + ":" + plainPort);
  }

  /**
   * The HTTPS endpoint (self-signed certificate). Needed only by clients that insist on TLS; the
   * Netty client then needs HTTP/2 with ALPN and a trust-all trust manager.
   */
  public URI tlsEndpoint() {
    return URI.create("https://" + LoopbackPorts.HOST + ":" + tlsPort);
  }

  /** {@value #REGION}. */
  public String region() {
    return REGION;
  }

  /** A dummy access key id; the emulator accepts any signature. */
  public String accessKeyId() {
    return ACCESS_KEY_ID;
  }

  /** A dummy secret key; the emulator accepts any signature. */
  public String secretAccessKey() {
    return SECRET_ACCESS_KEY;
  }

  /** The ARN the emulator gives a stream of this name (the KCL's multi-stream mode wants ARNs). */
  public String streamArn(String streamName) {
    return "arn:aws:kinesis:" + REGION + ":" + ACCOUNT_ID + ":stream/" + streamName;
  }

  /** How long the start took, from launching Node to both ports accepting connections. */
  public Duration startTime() {
    return startTime;
  }

  /** Whether the emulator process is still running. */
  public boolean isRunning() {
    return server.isAlive();
  }

  /**
   * Stops the emulator: SIGTERM, then after a second a forced kill (it sometimes ignores SIGTERM
   * with a half-closed HTTP/2 connection open). Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop();
  }

  @Override
  public String toString() {
    return "KinesisEmulator[" + endpoint() + ", pid " + server.pid() + "]";
  }

  /** Settings for a {@link KinesisEmulator}; {@link #start()} launches it. */
  public static final class Builder {

    private Duration operationDuration = Duration.ofMillis(50);
    private Duration startTimeout = Duration.ofSeconds(60);
    private final Map<String, String> environment = new LinkedHashMap<>();

    private Builder() {}

    /**
     * How long stream operations (create, delete, split, merge, update shard count, consumer
     * registration, encryption, stream mode) stay in their transient status before {@code ACTIVE}.
     * Default 50 ms; kinesis-mock's own default is 500 ms.
     */
    public Builder operationDuration(Duration duration) {
      if (duration.isNegative()) {
        throw new IllegalArgumentException("operationDuration must not be negative: " + duration);
      }
      this.operationDuration = duration;
      return this;
    }

    /**
     * The most shards the account may hold (kinesis-mock's {@code SHARD_LIMIT}; default {@value
     * #DEFAULT_SHARD_LIMIT}, AWS's default quota in its large regions; kinesis-mock's own is 50).
     */
    public Builder shardLimit(int shardLimit) {
      if (shardLimit < 1) {
        throw new IllegalArgumentException("shardLimit must be positive: " + shardLimit);
      }
      return setting("SHARD_LIMIT", Integer.toString(shardLimit));
    }

    /**
     * Any other kinesis-mock environment setting (see its README, e.g. {@code
     * ON_DEMAND_STREAM_COUNT_LIMIT}, {@code LOG_LEVEL}, {@code AWS_ACCOUNT_ID}); applied after the
     * defaults, so it wins. The ports are always chosen by this class.
     */
    public Builder setting(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.startsWith("KINESIS_MOCK_") && name.endsWith("_PORT")) {
        throw new IllegalArgumentException(name + " is chosen by KinesisEmulator (a free port)");
      }
      environment.put(name, value);
      return this;
    }

    /** How long to wait for both ports to accept connections (default 60 s). */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Installs kinesis-local if needed, starts it on free loopback ports and waits until it accepts
     * connections.
     *
     * @throws org.opentest4j.TestAbortedException if {@code -Dsluice.it.kinesis=skip} is set
     * @throws IllegalStateException if Node.js 18+ is missing or the emulator does not start
     */
    public KinesisEmulator start() {
      abortIfSkipped();
      NpmPackage.KINESIS_LOCAL.requireNode();
      IllegalStateException failure = null;
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        try {
          return launch();
        } catch (IllegalStateException e) {
          // Most likely another process took one of the free ports between probe and bind.
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      throw Objects.requireNonNull(failure);
    }

    private KinesisEmulator launch() {
      int plainPort = LoopbackPorts.freePort();
      int tlsPort = LoopbackPorts.freePort();
      while (tlsPort == plainPort) {
        tlsPort = LoopbackPorts.freePort();
      }
      Map<String, @Nullable String> env = new LinkedHashMap<>();
      SCRUBBED_SETTINGS.forEach(name -> env.put(name, null));
      env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(plainPort));
      env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(tlsPort));
      env.put("LOG_LEVEL", "WARN");
      env.put("ROOT_LOG_LEVEL", "ERROR");
      env.put("AWS_REGION", REGION);
      env.put("AWS_ACCOUNT_ID", ACCOUNT_ID);
      // The package directory is shared by every emulator of the build: never read or write data.
      env.put("SHOULD_PERSIST_DATA", "false");
      env.put("LOAD_DATA_IF_EXISTS", "false");
      // AWS's default shard quota in its large regions, not kinesis-mock's 50: a module's ITs run
      // two classes at once against one emulator, and streams some ITs leave behind count too.
      env.put("SHARD_LIMIT", Integer.toString(DEFAULT_SHARD_LIMIT));
      String duration = operationDuration.toMillis() + "ms";
      DURATION_SETTINGS.forEach(name -> env.put(name, duration));
      env.putAll(environment);

      long started = System.nanoTime();
      NodeServer server =
          NodeServer.launch(
              NpmPackage.KINESIS_LOCAL, List.of(), env, List.of(plainPort, tlsPort), startTimeout);
      Duration startTime = Duration.ofNanos(System.nanoTime() - started);
      KinesisEmulator emulator = new KinesisEmulator(server, plainPort, tlsPort, startTime);
      LOG.info("Started {} in {} ms", emulator, startTime.toMillis());
      return emulator;
    }
  }
}
