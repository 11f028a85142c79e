package dev.sluice.benchmarks;

import dev.sluice.testbrokers.KafkaBroker;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The benchmarks' Kafka broker (the tests' in-process KRaft broker) in a JVM of its own, as a real
 * broker is: the clients' garbage collections do not pause it, the broker's do not pause the
 * clients, and the benchmark JVM's CPU time is the clients' alone.
 *
 * <p>{@link #main} starts the broker, prints {@code BOOTSTRAP host:port} and runs until its
 * standard input closes; {@link #start} runs it from the benchmark.
 */
final class BrokerProcess implements AutoCloseable {
  private static final String READY = "BOOTSTRAP ";
  private static final long START_TIMEOUT_SECONDS = 120;

  private final Process process;
  private final String bootstrap;

  private BrokerProcess(Process process, String bootstrap) {
    this.process = process;
    this.bootstrap = bootstrap;
  }

  /** Starts the broker JVM (same java, same class path) and waits until it serves. */
  static BrokerProcess start(Path log, @Nullable Path dataDirectory)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.add(java);
    // The heap and collector the benchmark JVM was given, so both sides of the wire are alike; not
    // agents or recordings, which would profile (or write the same file from) both JVMs.
    command.addAll(Bench.heapFlags());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-XX:+Use")) {
        command.add(arg);
      }
    }
    if (dataDirectory != null) {
      // The broker makes (and on close deletes) its log directory under java.io.tmpdir.
      command.add("-Djava.io.tmpdir=" + dataDirectory.toAbsolutePath());
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BrokerProcess.class.getName());
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    // Everything the broker prints goes to the log; the first BOOTSTRAP line says it serves.
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread drain =
        new Thread(
            () -> {
              try (BufferedReader out =
                      new BufferedReader(
                          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                  BufferedWriter w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                String line;
                while ((line = out.readLine()) != null) {
                  if (!ready.isDone() && line.startsWith(READY)) {
                    ready.complete(line.substring(READY.length()).trim());
                  }
                  w.write(line);
                  w.newLine();
                  w.flush();
                }
              } catch (IOException e) {
                // the broker JVM is gone
              } finally {
                ready.completeExceptionally(
                    new IOException("The broker JVM exited before it served"));
              }
            },
            "bench-broker-log");
    drain.setDaemon(true);
    drain.start();
    try {
      return new BrokerProcess(process, ready.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IOException(
          "The broker JVM did not serve within "
              + START_TIMEOUT_SECONDS
              + " s; its output is in "
              + log,
          e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      throw e;
    }
  }

  String bootstrapServers() {
    return bootstrap;
  }

  /** Closes its standard input (it then stops the broker and exits); kills it if it lingers. */
  @Override
  public void close() throws IOException, InterruptedException {
    try (OutputStream in = process.getOutputStream()) {
      in.flush();
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  public static void main(String[] args) throws Exception {
    try (KafkaBroker broker = KafkaBroker.startNew()) {
      System.out.println(READY + broker.bootstrapServers());
      System.out.flush();
      // Runs until the benchmark closes our standard input (or exits, which closes it too).
      while (System.in.read() >= 0) {
        // ignore input
      }
    }
    System.exit(0);
  }
}
