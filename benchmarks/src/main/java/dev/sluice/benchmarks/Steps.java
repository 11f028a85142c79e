package dev.sluice.benchmarks;

import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/** What the Kafka comparisons share: the order of the two sides, and the pause before each. */
final class Steps {
  private Steps() {}

  /** A measured step. */
  interface Step {
    void run() throws Exception;
  }

  /** One measured step: records/s, and this JVM's CPU microseconds per record. */
  static final class Run {
    final double rate;
    final double cpuMicros;

    Run(double rate, double cpuMicros) {
      this.rate = rate;
      this.cpuMicros = cpuMicros;
    }
  }

  /** Runs raw then Sluice, or Sluice then raw; each after {@link #settle()}. */
  static void inOrder(boolean sluiceFirst, Step raw, @Nullable Step sluice) throws Exception {
    for (Step step : sluiceFirst ? new Step[] {sluice, raw} : new Step[] {raw, sluice}) {
      if (step != null) {
        settle();
        step.run();
      }
    }
  }

  /**
   * The same pause before every measured step, raw or Sluice: garbage of the previous step is
   * collected and the broker's background work (segment rolls, group cleanup) is not in the way.
   */
  static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(300);
  }

  /**
   * Sends record {@code i} at start + i / rate, for {@code i} in 0..n-1, so latency is not queueing
   * behind a burst.
   */
  static void pace(int n, int rate, IntConsumer send) {
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long wait = start + i * interval - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      send.accept(i);
    }
  }

  /** Microseconds from the send time stamped in {@code value} to {@code nowNanos}. */
  static long micros(long nowNanos, byte[] value) {
    return Math.max(0, (nowNanos - Workload.sentNanos(value)) / 1000);
  }

  /** A percentile of a histogram of microseconds, in milliseconds. */
  static double millis(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1000.0;
  }
}
