package dev.sluice.testbrokers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real schema registry for tests: Apicurio Registry (the Quarkus app from Maven Central, with its
 * in-memory storage) run as a child Java process on loopback, reached through its
 * Confluent-compatible API ({@link #confluentApiUrl()}).
 *
 * <p>The module whose tests use it unpacks {@code io.apicurio:apicurio-registry-app:<version>:
 * tar.gz:all} with the Maven build and names the directory in the system property {@value
 * #HOME_PROPERTY}. The app needs Java 21 or newer: the JVM running the tests when it is new enough,
 * else the one named by {@value #JAVA_PROPERTY}, else the newest under {@code /usr/lib/jvm}. Both
 * its HTTP port and its management port are bound to 127.0.0.1.
 *
 * <pre>{@code
 * SchemaRegistryServer registry = SchemaRegistryServer.shared();
 * String url = registry.confluentApiUrl(); // http://127.0.0.1:<port>/apis/ccompat/v7
 * }</pre>
 */
public final class SchemaRegistryServer implements AutoCloseable {
  /** System property: the directory the Apicurio Registry app was unpacked into. */
  public static final String HOME_PROPERTY = "sluice.schema.registry.home";

  /** System property: a Java 21+ home (or its {@code bin/java}) to run the registry with. */
  public static final String JAVA_PROPERTY = "sluice.schema.registry.java";

  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final int OUTPUT_LINES_KEPT = 40;

  private static @Nullable SchemaRegistryServer shared;

  private final Process process;
  private final int port;
  private final Deque<String> recentOutput;
  private final Thread shutdownHook;

  private SchemaRegistryServer(Process process, int port, Deque<String> recentOutput) {
    this.process = process;
    this.port = port;
    this.recentOutput = recentOutput;
    this.shutdownHook = new Thread(this::stopProcess, "schema-registry-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * The registry shared by every test of this JVM (failsafe runs a module's ITs in one), started on
   * first use and stopped when the JVM exits. Tests share it, so each uses its own subjects.
   *
   * @return the running registry
   */
  public static synchronized SchemaRegistryServer shared() {
    if (shared == null || !shared.process.isAlive()) {
      shared = startNew();
    }
    return shared;
  }

  /**
   * Starts a registry of its own; close it when done.
   *
   * @return the running registry
   * @throws IllegalStateException when the app is not unpacked, no Java 21+ is found, or the
   *     registry does not come up in time
   */
  public static SchemaRegistryServer startNew() {
    String home = System.getProperty(HOME_PROPERTY);
    if (home == null || !Files.isRegularFile(Paths.get(home, "quarkus-run.jar"))) {
      throw new IllegalStateException(
          "No Apicurio Registry app at "
              + HOME_PROPERTY
              + "="
              + home
              + ": the module's build unpacks io.apicurio:apicurio-registry-app (tar.gz, classifier"
              + " all) before its integration tests; run them with `mvn verify`");
    }
    String java = javaExecutable();
    int httpPort = LoopbackPorts.freePort();
    int managementPort = LoopbackPorts.freePort();
    List<String> command =
        List.of(
            java,
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-Dquarkus.http.host=" + LoopbackPorts.HOST,
            "-Dquarkus.http.port=" + httpPort,
            "-Dquarkus.management.host=" + LoopbackPorts.HOST,
            "-Dquarkus.management.port=" + managementPort,
            "-Dquarkus.log.level=WARN",
            "-jar",
            "quarkus-run.jar");
    long started = System.nanoTime();
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(Paths.get(home).toFile())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("Could not run `" + String.join(" ", command) + "`", e);
    }
    Deque<String> output = new ArrayDeque<>();
    drain(process, output);
    SchemaRegistryServer server = new SchemaRegistryServer(process, httpPort, output);
    try {
      server.awaitReady(started);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    LOG.info(
        "Apicurio Registry up at {} in {} ms",
        server.confluentApiUrl(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return server;
  }

  /**
   * The root of the Confluent-compatible API.
   *
   * @return {@code http://127.0.0.1:<port>/apis/ccompat/v7}
   */
  public String confluentApiUrl() {
    return "http://" + LoopbackPorts.HOST + ":" + port + "/apis/ccompat/v7";
  }

  /**
   * The HTTP port on 127.0.0.1.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /** Stops the registry (SIGTERM, then a forced kill). Idempotent. */
  @Override
  public void close() {
    stopProcess();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down and runs the hook itself.
    }
  }

  private void awaitReady(long started) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest probe =
        HttpRequest.newBuilder(URI.create(confluentApiUrl() + "/subjects"))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    long deadline = started + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Apicurio Registry exited with code "
                + process.exitValue()
                + " before answering; its last output:\n"
                + tail());
      }
      try {
        if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while starting Apicurio Registry", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Apicurio Registry did not answer within "
                + START_TIMEOUT
                + "; its last output:\n"
                + tail());
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while starting Apicurio Registry", e);
      }
    }
  }

  private void stopProcess() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private String tail() {
    synchronized (recentOutput) {
      return String.join("\n", recentOutput);
    }
  }

  private static void drain(Process process, Deque<String> recentOutput) {
    Thread drainer =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  LOG.debug("[apicurio] {}", line);
                  synchronized (recentOutput) {
                    recentOutput.addLast(line);
                    if (recentOutput.size() > OUTPUT_LINES_KEPT) {
                      recentOutput.removeFirst();
                    }
                  }
                }
              } catch (IOException e) {
                // The process ended.
              }
            },
            "apicurio-output");
    drainer.setDaemon(true);
    drainer.start();
  }

  /** A Java 21+ executable: this JVM's, the configured one, or the newest under /usr/lib/jvm. */
  static String javaExecutable() {
    String configured = System.getProperty(JAVA_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path path = Paths.get(configured);
      return Files.isDirectory(path) ? path.resolve("bin/java").toString() : path.toString();
    }
    if (Runtime.version().feature() >= 21) {
      return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }
    Path jvms = Paths.get("/usr/lib/jvm");
    Optional<Path> newest = Optional.empty();
    int newestVersion = 0;
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> homes = Files.list(jvms)) {
        for (Path candidate : (Iterable<Path>) homes::iterator) {
          int version = featureVersion(candidate);
          if (version >= 21
              && version > newestVersion
              && Files.isExecutable(candidate.resolve("bin/java"))) {
            newest = Optional.of(candidate);
            newestVersion = version;
          }
        }
      } catch (IOException e) {
        // Fall through to the error below.
      }
    }
    return newest
        .map(home -> home.resolve("bin/java").toString())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Apicurio Registry needs Java 21 or newer; this JVM is "
                        + Runtime.version()
                        + " and none was found under /usr/lib/jvm: set -D"
                        + JAVA_PROPERTY
                        + "=<a Java 21+ home>"));
  }

  /** The JAVA_VERSION a JDK's {@code release} file states, or 0. */
  private static int featureVersion(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return 0;
    }
    try {
      for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
        if (line.startsWith("JAVA_VERSION=")) {
          String value = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          String feature = value.split("[.+-]")[0];
          return Integer.parseInt(feature);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  @Override
  public String toString() {
    return "SchemaRegistryServer(" + confluentApiUrl() + ")";
  }
}
