package dev.sluice.examples;

import dev.sluice.ProcessingGuarantee;
import dev.sluice.Sluice;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link Pipeline}'s enrich stage alone, in a JVM of its own, so that a test can kill it with
 * {@code kill -9} mid-run ({@link KillableEnrichStage}). Runs until killed. Prints {@code C <n>} to
 * stdout every 10 calls of the stage's function (repeats included).
 *
 * <p>Arguments: {@code key=value} pairs for {@code Sluice.builder().set}, then {@code --raw S
 * --enriched S --group G --guarantee G --pause-ms N}; each call first sleeps {@code N} ms, so that
 * the stage is still working through the raw events when it is killed.
 */
public final class EnrichStageProcess {
  private EnrichStageProcess() {}

  public static void main(String[] args) throws Exception {
    Sluice.Builder builder = Sluice.builder().ignoreEnvironment();
    String raw = null;
    String enriched = null;
    String group = null;
    ProcessingGuarantee guarantee = ProcessingGuarantee.EXACTLY_ONCE;
    long pauseMillis = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--raw" -> raw = args[++i];
        case "--enriched" -> enriched = args[++i];
        case "--group" -> group = args[++i];
        case "--guarantee" -> guarantee = ProcessingGuarantee.valueOf(args[++i]);
        case "--pause-ms" -> pauseMillis = Long.parseLong(args[++i]);
        default -> {
          int eq = args[i].indexOf('=');
          builder.set(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
      }
    }
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    AtomicLong calls = new AtomicLong();
    long pause = pauseMillis;
    Sluice sluice = builder.open();
    Pipeline.startEnrich(
            sluice,
            raw,
            enriched,
            group,
            guarantee,
            () -> {
              try {
                TimeUnit.MILLISECONDS.sleep(pause);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              long n = calls.incrementAndGet();
              if (n % 10 == 0) {
                synchronized (out) {
                  out.println("C " + n);
                }
              }
            })
        .termination()
        .join(); // runs until killed
  }
}
