package dev.sluice.examples;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The smallest Sluice program: create a stream, send a few records, read them back with a consumer
 * group. The backend comes from configuration ({@code -Dsluice.backend=kafka}, {@code
 * SLUICE_BACKEND=kinesis}); with none, it runs on the embedded in-memory backend.
 */
public final class Quickstart {
  private Quickstart() {}

  public static void main(String[] args) throws Exception {
    int records = 10;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--records") && i + 1 < args.length) {
        records = Integer.parseInt(args[++i]);
      } else {
        System.err.println("Usage: Quickstart [--records N]");
        System.err.println("  Sends N greetings (default 10) and reads them back.");
        System.err.println("  Pick the backend with -Dsluice.backend=memory|kafka|kinesis.");
        System.exit(args[i].equals("--help") ? 0 : 2);
      }
    }
    System.exit(run(records) ? 0 : 1);
  }

  /** Runs the quickstart; true if every record sent was received. */
  public static boolean run(int records) throws InterruptedException {
    String stream = "quickstart-" + UUID.randomUUID().toString().substring(0, 8);
    try (Sluice sluice = Sluice.open()) {
      System.out.println("Backend: " + sluice.backend());
      sluice.admin().createStream(stream, StreamSpec.withShards(2));

      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int i = 1; i <= records; i++) {
          SendResult sent = producer.send("user-" + (i % 3), "hello #" + i).join();
          System.out.println(
              "produced  hello #" + i + " -> shard " + sent.shard() + " @ " + sent.position());
        }
      }

      CountDownLatch received = new CountDownLatch(records);
      AtomicInteger count = new AtomicInteger();
      try (Consumer<String, String> consumer =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group("quickstart")
              .startPosition(StartPosition.earliest())
              .start(
                  record -> {
                    System.out.println(
                        "consumed  "
                            + record.value()
                            + " (key "
                            + record.key()
                            + ", shard "
                            + record.shard()
                            + ")");
                    count.incrementAndGet();
                    received.countDown();
                  })) {
        if (!received.await(Duration.ofSeconds(120).toSeconds(), TimeUnit.SECONDS)) {
          System.out.println("Timed out; the consumer owned " + consumer.assignment());
        }
      }
      sluice.admin().deleteStream(stream);
      System.out.println("Produced " + records + " records, consumed " + count.get() + ".");
      return count.get() == records;
    }
  }
}
