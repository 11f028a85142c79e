package dev.sluice.reliability;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Threads a test started and its clients should have ended once closed. A failure names each
 * leftover thread with its state and top frames, so a flaky run says which client kept what.
 */
final class LeftoverThreads {
  private final Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
  private final List<String> ignoredPrefixes;

  /** Snapshots the live threads now; threads whose names start with a prefix are not counted. */
  LeftoverThreads(String... ignoredPrefixes) {
    this.ignoredPrefixes = List.of(ignoredPrefixes);
  }

  /**
   * Waits until every thread started since the snapshot has ended, or fails naming them. Returns
   * how long the wait took.
   */
  Duration awaitNone(Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    Map<Thread, StackTraceElement[]> left = started();
    while (!left.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "Timed out after "
                + timeout
                + " waiting until the clients' threads have ended; left:\n"
                + left.entrySet().stream()
                    .map(e -> describe(e.getKey(), e.getValue()))
                    .collect(Collectors.joining("\n")));
      }
      TimeUnit.MILLISECONDS.sleep(20);
      left = started();
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private Map<Thread, StackTraceElement[]> started() {
    Map<Thread, StackTraceElement[]> now = Thread.getAllStackTraces();
    now.keySet().removeAll(before);
    now.keySet()
        .removeIf(t -> !t.isAlive() || ignoredPrefixes.stream().anyMatch(t.getName()::startsWith));
    return now;
  }

  private static String describe(Thread t, StackTraceElement[] stack) {
    return "  "
        + t.getName()
        + " ("
        + t.getState()
        + (t.isDaemon() ? ", daemon" : "")
        + ")"
        + Arrays.stream(stack).limit(8).map(f -> "\n      at " + f).collect(Collectors.joining());
  }
}
