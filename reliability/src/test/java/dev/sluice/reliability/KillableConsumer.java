package dev.sluice.reliability;

import dev.sluice.CheckpointMode;
import dev.sluice.Consumer;
import dev.sluice.Ordering;
import dev.sluice.Serde;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A group consumer in a JVM of its own, so a test can kill it the hard way ({@code kill -9}).
 * Prints what it does, one line each, to stdout: {@code ASSIGNED <shards>}, {@code R <value>} per
 * record, and {@code C <n>} once the checkpoints of its first n records are stored.
 *
 * <p>Arguments: {@code key=value} pairs for {@code Sluice.builder().set}, then {@code --stream S
 * --group G}, and {@code --concurrency N} for {@code concurrency(N, Ordering.PER_KEY)} with
 * automatic checkpoints every 200 ms (then no {@code C} lines: the consumer checkpoints its
 * completed prefix itself) and a handler that takes 1 ms; {@code --max-buffered N} sets its {@code
 * maxBufferedRecords} (500 by default).
 */
public final class KillableConsumer {
  private KillableConsumer() {}

  public static void main(String[] args) throws Exception {
    Sluice.Builder builder = Sluice.builder().ignoreEnvironment();
    String stream = null;
    String group = null;
    int concurrency = 0;
    int maxBuffered = 500;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--stream")) {
        stream = args[++i];
      } else if (args[i].equals("--group")) {
        group = args[++i];
      } else if (args[i].equals("--concurrency")) {
        concurrency = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--max-buffered")) {
        maxBuffered = Integer.parseInt(args[++i]);
      } else {
        int eq = args[i].indexOf('=');
        builder.set(args[i].substring(0, eq), args[i].substring(eq + 1));
      }
    }
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    AtomicLong received = new AtomicLong();
    Sluice sluice = builder.open();
    AtomicReference<Consumer<String, String>> self = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    if (concurrency > 0) {
      sluice
          .consumer(stream, Serde.string(), Serde.string())
          .group(group)
          .concurrency(concurrency, Ordering.PER_KEY)
          .checkpointInterval(Duration.ofMillis(200))
          .maxBufferedRecords(maxBuffered)
          .listener(
              new ShardListener() {
                @Override
                public void onAssigned(Assigned event) {
                  out.println("ASSIGNED " + event.assignment());
                }
              })
          .start(
              r -> {
                Thread.sleep(1);
                synchronized (out) {
                  out.println("R " + r.value());
                }
              });
      new CountDownLatch(1).await(); // runs until killed
    }
    Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group(group)
            .checkpointing(CheckpointMode.MANUAL)
            .listener(
                new ShardListener() {
                  @Override
                  public void onAssigned(Assigned event) {
                    out.println("ASSIGNED " + event.assignment());
                  }
                })
            .start(
                r -> {
                  started.await();
                  synchronized (out) {
                    out.println("R " + r.value());
                  }
                  self.get().checkpoint(r);
                  long n = received.incrementAndGet();
                  if (n % 50 == 0) {
                    self.get().commitCheckpoints().join();
                    synchronized (out) {
                      out.println("C " + n);
                    }
                  }
                });
    self.set(consumer);
    started.countDown();
    new CountDownLatch(1).await(); // runs until killed
  }
}
