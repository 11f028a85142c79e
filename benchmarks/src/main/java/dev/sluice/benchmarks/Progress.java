package dev.sluice.benchmarks;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The line that shows what runs now. On a terminal it is rewritten in place every 0.5 s; in a log
 * (CI, the smoke test) a line is printed every 5 s and when a step ends.
 */
final class Progress implements AutoCloseable {
  private final PrintStream out;
  private final boolean terminal;
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
          });
  private @Nullable ScheduledFuture<?> current;

  Progress(PrintStream out) {
    this.out = out;
    this.terminal = System.console() != null;
  }

  /** Shows {@code label} with {@code done()} of {@code total} until {@link #end}. */
  synchronized void start(String label, long total, LongSupplier done) {
    stopTicking();
    long started = System.nanoTime();
    Runnable show =
        () -> {
          long n = done.getAsLong();
          double secs = (System.nanoTime() - started) / 1e9;
          String line =
              String.format(
                  Locale.ROOT,
                  "%s: %,d / %,d records (%.0f%%), %s rec/s",
                  label,
                  n,
                  total,
                  total == 0 ? 100.0 : 100.0 * n / total,
                  secs > 0 ? Table.count(n / secs) : "-");
          print(line);
        };
    current =
        ticker.scheduleAtFixedRate(
            show, terminal ? 500 : 5000, terminal ? 500 : 5000, TimeUnit.MILLISECONDS);
  }

  /** Ends the current step with its result. */
  synchronized void end(String line) {
    stopTicking();
    if (terminal) {
      out.print("\r\033[2K");
    }
    out.println(line);
    out.flush();
  }

  /** A message between steps. */
  synchronized void note(String line) {
    end(line);
  }

  private synchronized void print(String line) {
    if (terminal) {
      out.print("\r\033[2K" + line);
    } else {
      out.println(line);
    }
    out.flush();
  }

  private void stopTicking() {
    if (current != null) {
      current.cancel(false);
      current = null;
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
