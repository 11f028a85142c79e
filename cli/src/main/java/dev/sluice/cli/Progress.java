package dev.sluice.cli;

import java.io.PrintStream;

/**
 * A progress line on stderr for long work ("sent 120000"), rewritten in place at most every 200 ms;
 * only when the user watches a terminal (a {@link System#console()} exists), never into a file or a
 * pipe.
 */
final class Progress {
  private final PrintStream err;
  private final boolean on;
  private final String verb;
  private volatile long lastPrint;

  private Progress(PrintStream err, boolean on, String verb) {
    this.err = err;
    this.on = on;
    this.verb = verb;
  }

  /** A progress line when {@code longWork} and a terminal is attached. */
  static Progress forInput(PrintStream err, boolean longWork, String verb) {
    return new Progress(err, longWork && System.console() != null, verb);
  }

  void update(long count) {
    if (!on) {
      return;
    }
    long now = System.nanoTime();
    if (now - lastPrint > 200_000_000L) {
      lastPrint = now;
      synchronized (this) {
        err.print("\r" + verb + " " + count);
        err.flush();
      }
    }
  }

  void finish(long count) {
    if (on) {
      synchronized (this) {
        err.print("\r" + verb + " " + count + "\n");
        err.flush();
      }
    }
  }
}
