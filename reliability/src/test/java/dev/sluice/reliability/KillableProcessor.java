package dev.sluice.reliability;

import dev.sluice.Destination;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A processor group member in a JVM of its own, so a test can kill it the hard way ({@code kill
 * -9}) or freeze it ({@code kill -STOP}). It copies each input value to the output stream with the
 * same key. Prints, one line each, to stdout: {@code ASSIGNED <shards>} when its assignment
 * changes, and {@code P <n>} every 100 inputs processed (function calls, committed or not).
 *
 * <p>Arguments: {@code key=value} pairs for {@code Sluice.builder().set}, then {@code --input S
 * --output O --group G --guarantee EXACTLY_ONCE --commit-interval-ms 100}.
 */
public final class KillableProcessor {
  private KillableProcessor() {}

  public static void main(String[] args) throws Exception {
    Sluice.Builder builder = Sluice.builder().ignoreEnvironment();
    String input = null;
    String output = null;
    String group = null;
    ProcessingGuarantee guarantee = ProcessingGuarantee.EXACTLY_ONCE;
    Duration commitInterval = Duration.ofMillis(100); // the processor's default
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--input":
          input = args[++i];
          break;
        case "--output":
          output = args[++i];
          break;
        case "--group":
          group = args[++i];
          break;
        case "--guarantee":
          guarantee = ProcessingGuarantee.valueOf(args[++i]);
          break;
        case "--commit-interval-ms":
          commitInterval = Duration.ofMillis(Long.parseLong(args[++i]));
          break;
        default:
          int eq = args[i].indexOf('=');
          builder.set(args[i].substring(0, eq), args[i].substring(eq + 1));
      }
    }
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    AtomicLong processed = new AtomicLong();
    Sluice sluice = builder.open();
    Destination<String, String> to = Destination.of(output, Serde.string(), Serde.string());
    Processor processor =
        sluice
            .processor(input, Serde.string(), Serde.string())
            .group(group)
            .output(to)
            .guarantee(guarantee)
            .commitInterval(commitInterval)
            .start(
                (in, outputs) -> {
                  outputs.send(to, in.key(), in.value());
                  long n = processed.incrementAndGet();
                  if (n % 100 == 0) {
                    synchronized (out) {
                      out.println("P " + n);
                    }
                  }
                });
    Set<?> last = Set.of();
    while (!processor.termination().isDone()) { // runs until killed
      Set<?> now = processor.assignment();
      if (!now.equals(last)) {
        last = now;
        synchronized (out) {
          out.println("ASSIGNED " + now);
        }
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    out.println("TERMINATED " + processor.termination().handle((ok, e) -> String.valueOf(e)).get());
  }
}
