package dev.sluice.examples;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.io.PrintStream;

/**
 * The smallest Sluice program: create a stream, send a few records, read them back with a consumer
 * group. The backend comes from configuration ({@code -Dsluice.backend=kafka}, {@code
 * SLUICE_BACKEND=kinesis}); with none, it runs on the embedded in-memory backend.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java
 * </pre>
 */
public final class Quickstart {
  /** What to run. */
  public record Options(int records, CommonOptions common) {}

  /** How many records were sent and how many came back. */
  public record Result(int sent, long received) {
    public boolean allReceived() {
      return received == sent;
    }
  }

  static final Cli CLI =
      Cli.program("Quickstart", "Sends N greetings and reads them back with a consumer group.")
          .option("--records", "N", "10", "greetings to send")
          .withCommonOptions();

  private Quickstart() {}

  /** Reads the command line; never exits. */
  public static Cli.Parsed<Options> parse(String... args) {
    return CLI.parse(args, v -> new Options(v.positiveInt("--records"), v.common()));
  }

  public static void main(String[] args) throws Exception {
    Cli.Parsed<Options> parsed = parse(args);
    if (!parsed.shouldRun()) {
      System.exit(parsed.printUsage(System.out, System.err));
    }
    boolean ok;
    try (Sluice sluice = Sluice.open()) {
      ok = run(sluice, parsed.options(), System.out).allReceived();
    } catch (RuntimeException e) {
      System.err.println("Quickstart failed: " + Cli.describe(e));
      ok = false;
    }
    System.exit(ok ? 0 : Cli.EXIT_FAILED);
  }

  /** Runs the quickstart on {@code sluice}'s backend, printing to {@code out}. */
  public static Result run(Sluice sluice, Options options, PrintStream out)
      throws InterruptedException {
    out.println("Backend: " + sluice.backend());
    try (ExampleStreams streams =
        ExampleStreams.forApp(sluice, "quickstart", options.common(), out)) {
      String stream = streams.create(StreamSpec.withShards(2));

      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int i = 1; i <= options.records(); i++) {
          SendResult sent = producer.send("user-" + (i % 3), "hello #" + i).join();
          out.println(
              "produced  hello #" + i + " -> shard " + sent.shard() + " @ " + sent.position());
        }
      }

      Tally received = new Tally();
      try (Consumer<String, String> consumer =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group("quickstart-" + streams.runId())
              .startPosition(StartPosition.earliest())
              .start(
                  record -> {
                    out.println(
                        "consumed  "
                            + record.value()
                            + " (key "
                            + record.key()
                            + ", shard "
                            + record.shard()
                            + ")");
                    received.add(1);
                  })) {
        consumer.termination().whenComplete((done, error) -> received.failIf(error));
        Tally.Deadline deadline = Tally.Deadline.after(options.common().timeout());
        if (!received.awaitAtLeast(options.records(), deadline)) {
          out.println("Timed out; the consumer owned " + consumer.assignment());
        }
      }
      out.println("Produced " + options.records() + " records, consumed " + received.get() + ".");
      return new Result(options.records(), received.get());
    }
  }
}
