package dev.sluice.examples;

import dev.sluice.ProcessingGuarantee;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link Pipeline}'s enrich stage in a child JVM ({@link EnrichStageProcess}) that is killed
 * with {@code kill -9} once it has called its function {@code killAfter} times, and started again
 * in a new JVM, which goes on from the group's checkpoints.
 */
final class KillableEnrichStage implements Pipeline.EnrichStage {
  private final Map<String, String> settings;
  private final String raw;
  private final String enriched;
  private final String group;
  private final ProcessingGuarantee guarantee;
  private final long killAfter;
  private final long pauseMillis;
  private final AtomicLong callsOfEarlierJvms = new AtomicLong();
  private final AtomicInteger kills = new AtomicInteger();
  private final Thread killer;
  private volatile Child current;

  /** What the killed JVM had called when it was killed: at least {@code killAfter}. */
  final AtomicLong callsWhenKilled = new AtomicLong(-1);

  private static final class Child {
    final Process process;
    final AtomicLong calls = new AtomicLong();

    Child(Process process) {
      this.process = process;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("C ")) {
                      calls.set(Long.parseLong(line.substring(2)));
                    }
                  }
                } catch (IOException ignored) {
                  // Killed.
                }
              },
              "enrich-stage-reader");
      reader.setDaemon(true);
      reader.start();
    }
  }

  /**
   * A launcher for {@link Pipeline#run(dev.sluice.Sluice, Pipeline.Options, java.io.PrintStream,
   * Pipeline.EnrichLauncher)}.
   */
  static Pipeline.EnrichLauncher launcher(
      Map<String, String> settings,
      long killAfter,
      long pauseMillis,
      java.util.function.Consumer<KillableEnrichStage> started) {
    return (raw, enriched, group, guarantee) -> {
      KillableEnrichStage stage =
          new KillableEnrichStage(
              settings, raw, enriched, group, guarantee, killAfter, pauseMillis);
      started.accept(stage);
      return stage;
    };
  }

  private KillableEnrichStage(
      Map<String, String> settings,
      String raw,
      String enriched,
      String group,
      ProcessingGuarantee guarantee,
      long killAfter,
      long pauseMillis)
      throws IOException {
    this.settings = settings;
    this.raw = raw;
    this.enriched = enriched;
    this.group = group;
    this.guarantee = guarantee;
    this.killAfter = killAfter;
    this.pauseMillis = pauseMillis;
    this.current = startChild();
    this.killer = new Thread(this::killOnceAndRestart, "enrich-stage-killer");
    killer.setDaemon(true);
    killer.start();
  }

  private Child startChild() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(EnrichStageProcess.class.getName());
    settings.forEach((k, v) -> command.add(k + "=" + v));
    command.addAll(
        List.of(
            "--raw",
            raw,
            "--enriched",
            enriched,
            "--group",
            group,
            "--guarantee",
            guarantee.name(),
            "--pause-ms",
            Long.toString(pauseMillis)));
    return new Child(
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start());
  }

  private void killOnceAndRestart() {
    try {
      Child victim = current;
      while (victim.calls.get() < killAfter) {
        if (!victim.process.isAlive()) {
          return; // closed, or died on its own: the run's verdict tells
        }
        TimeUnit.MILLISECONDS.sleep(5);
      }
      victim.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
      callsWhenKilled.set(victim.calls.get());
      callsOfEarlierJvms.addAndGet(victim.calls.get());
      kills.incrementAndGet();
      current = startChild();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public long calls() {
    return callsOfEarlierJvms.get() + current.calls.get();
  }

  @Override
  public int crashes() {
    return kills.get();
  }

  @Override
  public void close() {
    killer.interrupt();
    try {
      killer.join(15_000);
      Process p = current.process;
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
