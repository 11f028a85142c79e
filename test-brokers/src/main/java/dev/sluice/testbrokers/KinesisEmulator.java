package dev.sluice.testbrokers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
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
 * Builder#shardLimit(int)}) and fixed request-rate limits on control-plane calls such as {@code
 * DescribeStream} and {@code ListShards} ({@code LimitExceededException}).
 */
public final class KinesisEmulator implements AutoCloseable {

  /** System property; {@value #SKIP_VALUE} skips every test that needs the Kinesis emulator. */
  public static final String SKIP_PROPERTY = "sluice.it.kinesis";

  /** The value of {@link #SKIP_PROPERTY} that skips the Kinesis tests. */
  public static final String SKIP_VALUE = "skip";

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

  private final Process process;
  private final int plainPort;
  private final int tlsPort;
  private final Thread shutdownHook;
  private final Deque<String> recentOutput;
  private final Duration startTime;
  private boolean closed;

  private KinesisEmulator(
      Process process, int plainPort, int tlsPort, Deque<String> recentOutput, Duration startTime) {
    this.process = process;
    this.plainPort = plainPort;
    this.tlsPort = tlsPort;
    this.recentOutput = recentOutput;
    this.startTime = startTime;
    this.shutdownHook = new Thread(this::stopProcess, "kinesis-local-shutdown-" + process.pid());
    Runtime.getRuntime().addShutdownHook(shutdownHook);
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
    return process.isAlive();
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
    stopProcess();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down; the hook runs (or ran) stopProcess, which is idempotent.
    }
  }

  private void stopProcess() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(1, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          LOG.warn("kinesis-local (pid {}) did not exit after a forced kill", process.pid());
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "KinesisEmulator[" + endpoint() + ", pid " + process.pid() + "]";
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

    /** The most shards the account may hold (kinesis-mock's {@code SHARD_LIMIT}, default 50). */
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
      if (skipRequested()) {
        System.out.println("[sluice] " + skipMessage());
        Assumptions.abort(skipMessage());
      }
      KinesisLocalPackage.requireNode();
      Path workingDir = KinesisLocalPackage.packageDirectory();
      IllegalStateException failure = null;
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        try {
          return launch(workingDir);
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

    /** A Node preload that makes every server of the process listen on 127.0.0.1 only. */
    private static Path loopbackOnlyPreload(Path workingDir) {
      Path file = workingDir.resolve("sluice-loopback-only.cjs");
      String script =
          String.join(
              "\n",
              "// Written by Sluice's KinesisEmulator: servers of this process listen on 127.0.0.1.",
              "const net = require('net');",
              "const listen = net.Server.prototype.listen;",
              "net.Server.prototype.listen = function (...args) {",
              "  if (args[0] !== null && typeof args[0] === 'object' && !Array.isArray(args[0])) {",
              "    args[0] = Object.assign({}, args[0], { host: '127.0.0.1' });",
              "  } else if (typeof args[0] === 'number' || /^\\d+$/.test(String(args[0]))) {",
              "    if (typeof args[1] === 'string') args[1] = '127.0.0.1';",
              "    else args.splice(1, 0, '127.0.0.1');",
              "  }",
              "  return listen.apply(this, args);",
              "};",
              "");
      try {
        if (!Files.exists(file) || !Files.readString(file).equals(script)) {
          Path tmp = Files.createTempFile(workingDir, "loopback", ".tmp");
          Files.writeString(tmp, script);
          Files.move(
              tmp,
              file,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING,
              java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException e) {
        throw new IllegalStateException("Could not write " + file, e);
      }
      return file;
    }

    private KinesisEmulator launch(Path workingDir) {
      int plainPort = LoopbackPorts.freePort();
      int tlsPort = LoopbackPorts.freePort();
      while (tlsPort == plainPort) {
        tlsPort = LoopbackPorts.freePort();
      }
      ProcessBuilder builder =
          new ProcessBuilder(KinesisLocalPackage.nodeExecutable(), "main.js")
              .directory(workingDir.toFile())
              .redirectErrorStream(true);
      Map<String, String> env = builder.environment();
      SCRUBBED_SETTINGS.forEach(env::remove);
      env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(plainPort));
      env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(tlsPort));
      env.put("LOG_LEVEL", "WARN");
      env.put("ROOT_LOG_LEVEL", "ERROR");
      env.put("AWS_REGION", REGION);
      env.put("AWS_ACCOUNT_ID", ACCOUNT_ID);
      // The package directory is shared by every emulator of the build: never read or write data.
      env.put("SHOULD_PERSIST_DATA", "false");
      env.put("LOAD_DATA_IF_EXISTS", "false");
      String duration = operationDuration.toMillis() + "ms";
      DURATION_SETTINGS.forEach(name -> env.put(name, duration));
      // kinesis-mock listens on 0.0.0.0; tests must stay on loopback.
      env.put("NODE_OPTIONS", "--require \"" + loopbackOnlyPreload(workingDir) + "\"");
      env.putAll(environment);

      long started = System.nanoTime();
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new IllegalStateException("Could not run `node main.js` in " + workingDir, e);
      }
      Deque<String> recentOutput = new ArrayDeque<>();
      drain(process, recentOutput);
      long deadline = started + startTimeout.toNanos();
      try {
        while (!(LoopbackPorts.accepts(plainPort, Duration.ofMillis(200))
            && LoopbackPorts.accepts(tlsPort, Duration.ofMillis(200)))) {
          if (!process.isAlive()) {
            throw new IllegalStateException(
                "kinesis-local exited with code "
                    + process.exitValue()
                    + " before accepting connections; its last output:\n"
                    + tail(recentOutput));
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "kinesis-local did not accept connections on ports "
                    + plainPort
                    + "/"
                    + tlsPort
                    + " within "
                    + startTimeout
                    + "; its last output:\n"
                    + tail(recentOutput));
          }
          Thread.sleep(50);
        }
      } catch (InterruptedException | RuntimeException e) {
        process.destroyForcibly();
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while starting kinesis-local", e);
        }
        throw (RuntimeException) e;
      }
      Duration startTime = Duration.ofNanos(System.nanoTime() - started);
      KinesisEmulator emulator =
          new KinesisEmulator(process, plainPort, tlsPort, recentOutput, startTime);
      LOG.info("Started {} in {} ms", emulator, startTime.toMillis());
      return emulator;
    }

    /** Forwards the emulator's output to the log so its pipe never fills and blocks it. */
    private static void drain(Process process, Deque<String> recentOutput) {
      InputStream output = process.getInputStream();
      Thread drainer =
          new Thread(
              () -> {
                try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = reader.readLine()) != null) {
                    LOG.info("[kinesis-local {}] {}", process.pid(), line);
                    synchronized (recentOutput) {
                      recentOutput.addLast(line);
                      if (recentOutput.size() > OUTPUT_LINES_KEPT) {
                        recentOutput.removeFirst();
                      }
                    }
                  }
                } catch (IOException e) {
                  LOG.debug("Stopped reading kinesis-local output", e);
                }
              },
              "kinesis-local-output-" + process.pid());
      drainer.setDaemon(true);
      drainer.start();
    }

    private static String tail(Deque<String> recentOutput) {
      synchronized (recentOutput) {
        return recentOutput.isEmpty() ? "(none)" : String.join("\n", new ArrayList<>(recentOutput));
      }
    }
  }

  /** The emulator's most recent output lines, for failure messages. */
  String recentOutput() {
    return Builder.tail(recentOutput);
  }
}
