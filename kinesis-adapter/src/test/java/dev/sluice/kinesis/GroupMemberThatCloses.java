package dev.sluice.kinesis;

import dev.sluice.Consumer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A service's life in a JVM of its own: opens Sluice, sends a record, reads it back with a group
 * consumer, closes the consumer and Sluice, and returns from {@code main} without {@code
 * System.exit}, so a test can check that the JVM ends by itself. Prints {@code RECEIVED} and {@code
 * CLOSED <ms>} to stdout; if the JVM is still alive 5 s after close, prints {@code ALIVE <thread>}
 * for each thread that keeps it alive.
 *
 * <p>Arguments: {@code key=value} pairs for {@code Sluice.builder().set}, then {@code --stream S
 * --group G}.
 */
public final class GroupMemberThatCloses {
  private GroupMemberThatCloses() {}

  public static void main(String[] args) throws Exception {
    Sluice.Builder builder = Sluice.builder().ignoreEnvironment();
    String stream = null;
    String group = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--stream")) {
        stream = args[++i];
      } else if (args[i].equals("--group")) {
        group = args[++i];
      } else {
        int eq = args[i].indexOf('=');
        builder.set(args[i].substring(0, eq), args[i].substring(eq + 1));
      }
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Sluice sluice = builder.open();
    sluice.producer(stream, Serde.string(), Serde.string()).send("k", "hello").join();
    CountDownLatch received = new CountDownLatch(1);
    Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group(group)
            .startPosition(StartPosition.earliest())
            .start(r -> received.countDown());
    if (!received.await(90, TimeUnit.SECONDS)) {
      out.println("NOTHING RECEIVED");
    } else {
      out.println("RECEIVED");
    }
    long started = System.nanoTime();
    consumer.close();
    sluice.close();
    out.println("CLOSED " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    Thread watch =
        new Thread(
            () -> {
              try {
                Thread.sleep(5_000);
              } catch (InterruptedException e) {
                return;
              }
              Thread.getAllStackTraces().keySet().stream()
                  .filter(t -> !t.isDaemon() && t.isAlive() && !t.getName().equals("DestroyJavaVM"))
                  .forEach(t -> out.println("ALIVE " + t.getName() + " " + t.getState()));
            },
            "alive-threads-report");
    watch.setDaemon(true);
    watch.start();
  }
}
