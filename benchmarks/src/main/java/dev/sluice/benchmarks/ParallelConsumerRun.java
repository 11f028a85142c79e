package dev.sluice.benchmarks;

import dev.sluice.Sluice;
import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Confluent's parallel-consumer (0.5.3.2, key ordering, periodic asynchronous commits) with the
 * same topic shape, records, handler and concurrency as {@link ConcurrencyBench}, for the records/s
 * comparison on Kafka. Its own 5 ms handler; timed from the first handler call to the last return.
 *
 * <p>0.5.3.2 is built for the Kafka 3 client: on this build's Kafka 4 client its control thread
 * fails ({@code NoClassDefFoundError: org/apache/kafka/common/utils/CloseableIterator}) and no
 * record reaches the handler, so the run is bounded and the bench reports the failure.
 */
final class ParallelConsumerRun {
  private ParallelConsumerRun() {}

  static void runIfPresent(String bootstrap, Sluice sluice, List<ConcurrencyBench.Result> results)
      throws Exception {
    int[][] levels = {{64, 40_000}, {256, 100_000}};
    for (int[] level : levels) {
      results.add(measure(bootstrap, sluice, level[0], level[1]));
    }
  }

  private static ConcurrencyBench.Result measure(
      String bootstrap, Sluice sluice, int concurrency, int records) throws Exception {
    String topic = ConcurrencyBench.send(sluice, ConcurrencyBench.SHARDS, records);
    KafkaConsumer<byte[], byte[]> kafka =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "pc-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    ParallelConsumerOptions<byte[], byte[]> options =
        ParallelConsumerOptions.<byte[], byte[]>builder()
            .ordering(ParallelConsumerOptions.ProcessingOrder.KEY)
            .maxConcurrency(concurrency)
            .commitMode(ParallelConsumerOptions.CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
            .consumer(kafka)
            // Its check reads a private field the Kafka 4 client no longer has; auto commit is
            // off above.
            .ignoreReflectiveAccessExceptionsForAutoCommitDisabledCheck(true)
            .build();
    AtomicInteger done = new AtomicInteger();
    AtomicLong first = new AtomicLong();
    AtomicLong last = new AtomicLong();
    ParallelStreamProcessor<byte[], byte[]> pc =
        ParallelStreamProcessor.createEosStreamProcessor(options);
    pc.subscribe(List.of(topic));
    pc.poll(
        context -> {
          first.compareAndSet(0, System.nanoTime());
          try {
            Thread.sleep(ConcurrencyBench.HANDLER_MILLIS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          if (done.incrementAndGet() == records) {
            last.set(System.nanoTime());
          }
        });
    // 0.5.3.2 is built for the Kafka 3 client; with this build's Kafka 4 client it has been seen to
    // poll without ever handing a record over. Bounded, so the run ends and says so.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (done.get() < records && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    pc.close();
    double seconds = (last.get() - first.get()) / 1e9;
    double perSecond = done.get() >= records ? records / seconds : Double.NaN;
    System.out.printf(
        Locale.ROOT,
        "kafka parallel-consumer concurrency %d: %,d of %,d records handled, %,.0f records/s%n",
        concurrency,
        done.get(),
        records,
        perSecond);
    return new ConcurrencyBench.Result(
        "kafka", "parallel-consumer 0.5.3.2", concurrency, records, perSecond, Double.NaN);
  }
}
