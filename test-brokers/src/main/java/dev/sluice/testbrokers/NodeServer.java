package dev.sluice.testbrokers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Node process of an {@link NpmPackage} serving on loopback ports: launched, waited for until
 * every port accepts connections, its output forwarded to the log, and stopped (with a forced kill
 * when it ignores SIGTERM). A JVM shutdown hook stops it too, so none outlives the tests.
 */
final class NodeServer {

  private static final Logger LOG = LoggerFactory.getLogger(NodeServer.class);
  private static final int OUTPUT_LINES_KEPT = 40;

  private final String name;
  private final Process process;
  private final Deque<String> recentOutput;
  private final Thread shutdownHook;

  private NodeServer(String name, Process process, Deque<String> recentOutput) {
    this.name = name;
    this.process = process;
    this.recentOutput = recentOutput;
    this.shutdownHook = new Thread(this::stopProcess, name + "-shutdown-" + process.pid());
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Runs {@code node <entry file> <arguments>} in the package's directory with {@code environment}
   * added to this JVM's (a null value removes the variable), and returns once every one of {@code
   * ports} accepts connections.
   *
   * @throws IllegalStateException if the process exits first or the ports do not open in time
   */
  static NodeServer launch(
      NpmPackage npmPackage,
      List<String> arguments,
      Map<String, @Nullable String> environment,
      List<Integer> ports,
      Duration startTimeout) {
    Path workingDir = npmPackage.packageDirectory();
    String name = npmPackage.coordinates();
    List<String> command = new ArrayList<>();
    command.add(NpmPackage.nodeExecutable());
    command.add(npmPackage.entryFile());
    command.addAll(arguments);
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    environment.forEach(
        (variable, value) -> {
          if (value == null) {
            env.remove(variable);
          } else {
            env.put(variable, value);
          }
        });
    // Some servers listen on 0.0.0.0 whatever they are told; tests must stay on loopback.
    env.put("NODE_OPTIONS", "--require \"" + loopbackOnlyPreload(workingDir) + "\"");

    long started = System.nanoTime();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("Could not run `" + String.join(" ", command) + "`", e);
    }
    Deque<String> recentOutput = new ArrayDeque<>();
    drain(name, process, recentOutput);
    long deadline = started + startTimeout.toNanos();
    try {
      while (!allAccept(ports)) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              name
                  + " exited with code "
                  + process.exitValue()
                  + " before accepting connections; its last output:\n"
                  + tail(recentOutput));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              name
                  + " did not accept connections on ports "
                  + ports
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
        throw new IllegalStateException("Interrupted while starting " + name, e);
      }
      throw (RuntimeException) e;
    }
    return new NodeServer(name, process, recentOutput);
  }

  private static boolean allAccept(List<Integer> ports) {
    for (int port : ports) {
      if (!LoopbackPorts.accepts(port, Duration.ofMillis(200))) {
        return false;
      }
    }
    return true;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The most recent output lines, for failure messages. */
  String recentOutput() {
    return tail(recentOutput);
  }

  /**
   * Stops the process: SIGTERM, then after a second a forced kill (kinesis-local sometimes ignores
   * SIGTERM with a half-closed HTTP/2 connection open). Idempotent.
   */
  void stop() {
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
          LOG.warn("{} (pid {}) did not exit after a forced kill", name, process.pid());
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A Node preload that makes every server of the process listen on 127.0.0.1 only, and keeps it
   * alive when a client goes away in the middle of a request.
   */
  private static Path loopbackOnlyPreload(Path workingDir) {
    Path file = workingDir.resolve("sluice-loopback-only.cjs");
    String script =
        String.join(
            "\n",
            "// Written by Sluice's test brokers: servers of this process listen on 127.0.0.1.",
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
            "// A client that dies mid-request (a JVM killed with kill -9) makes Node report the",
            "// request 'aborted'; dynalite throws that from its handler, which ended the process",
            "// and every later test's lease store. Only that error is ignored; any other ends the",
            "// process as Node would.",
            "process.on('uncaughtException', (err) => {",
            "  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {",
            "    console.error('ignored: a client went away mid-request (' + err.message + ')');",
            "    return;",
            "  }",
            "  console.error(err && err.stack ? err.stack : err);",
            "  process.exit(1);",
            "});",
            "");
    try {
      if (!Files.exists(file) || !Files.readString(file).equals(script)) {
        Path tmp = Files.createTempFile(workingDir, "loopback", ".tmp");
        Files.writeString(tmp, script);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Could not write " + file, e);
    }
    return file;
  }

  /** Forwards the process's output to the log so its pipe never fills and blocks it. */
  private static void drain(String name, Process process, Deque<String> recentOutput) {
    InputStream output = process.getInputStream();
    Thread drainer =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  LOG.info("[{} {}] {}", name, process.pid(), line);
                  synchronized (recentOutput) {
                    recentOutput.addLast(line);
                    if (recentOutput.size() > OUTPUT_LINES_KEPT) {
                      recentOutput.removeFirst();
                    }
                  }
                }
              } catch (IOException e) {
                LOG.debug("Stopped reading the output of {}", name, e);
              }
            },
            name + "-output-" + process.pid());
    drainer.setDaemon(true);
    drainer.start();
  }

  private static String tail(Deque<String> recentOutput) {
    synchronized (recentOutput) {
      return recentOutput.isEmpty() ? "(none)" : String.join("\n", new ArrayList<>(recentOutput));
    }
  }
}
