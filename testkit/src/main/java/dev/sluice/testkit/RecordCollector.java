package dev.sluice.testkit;

import dev.sluice.Consumer;
import dev.sluice.ConsumerBuilder;
import dev.sluice.Record;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Collects the records a consumer receives, so a test can wait until they are there. By default it
 * reads a whole stream with a standalone consumer from the earliest record:
 *
 * <pre>{@code
 * try (RecordCollector<String, String> orders =
 *     RecordCollector.of(sluice, "orders", Serde.string(), Serde.string())) {
 *   List<Record<String, String>> received = orders.awaitCount(100, Duration.ofSeconds(10));
 *   SluiceAssertions.assertThat(received).isOrderedPerKey(Comparator.naturalOrder());
 * }
 * }</pre>
 *
 * <p>Or give it a configured {@link ConsumerBuilder} (a group, a start position, a failure policy):
 * {@code RecordCollector.of(sluice.consumer("orders").group("billing"))}. Closing the collector
 * closes its consumer. Thread-safe.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class RecordCollector<K, V> implements AutoCloseable {
  private final List<Record<K, V>> records = new ArrayList<>();
  private volatile @Nullable Consumer<K, V> consumer;

  private RecordCollector() {}

  /**
   * Reads every shard of {@code stream} as bytes, from the earliest record.
   *
   * @param sluice where to read
   * @param stream the stream
   * @return the collector, its consumer started
   */
  public static RecordCollector<byte[], byte[]> of(Sluice sluice, String stream) {
    return of(sluice.consumer(stream));
  }

  /**
   * Reads every shard of {@code stream} with these serdes, from the earliest record.
   *
   * @param sluice where to read
   * @param stream the stream
   * @param keySerde reads the keys
   * @param valueSerde reads the values
   * @param <K> the key type
   * @param <V> the value type
   * @return the collector, its consumer started
   */
  public static <K, V> RecordCollector<K, V> of(
      Sluice sluice, String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    return of(sluice.consumer(stream, keySerde, valueSerde));
  }

  /**
   * Starts {@code consumer} with a handler that collects every record it is given.
   *
   * @param consumer the consumer to start, configured
   * @param <K> the key type
   * @param <V> the value type
   * @return the collector, its consumer started
   */
  public static <K, V> RecordCollector<K, V> of(ConsumerBuilder<K, V> consumer) {
    return of(consumer, record -> {});
  }

  /**
   * Starts {@code consumer} with a handler that collects each record and then calls {@code then}
   * (e.g. to slow down or fail). A record is collected each time the handler is called, so retries
   * show up as repeats.
   *
   * @param consumer the consumer to start, configured
   * @param then called with each record after it is collected
   * @param <K> the key type
   * @param <V> the value type
   * @return the collector, its consumer started
   */
  public static <K, V> RecordCollector<K, V> of(
      ConsumerBuilder<K, V> consumer, RecordHandler<K, V> then) {
    Objects.requireNonNull(then, "then");
    RecordCollector<K, V> collector = new RecordCollector<>();
    collector.consumer =
        consumer.start(
            record -> {
              collector.add(record);
              then.handle(record);
            });
    return collector;
  }

  /**
   * A collector not attached to a consumer; use {@link #handler()} as a consumer's handler.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @return an empty collector
   */
  public static <K, V> RecordCollector<K, V> detached() {
    return new RecordCollector<>();
  }

  /**
   * A handler that collects into this collector.
   *
   * @return the handler
   */
  public RecordHandler<K, V> handler() {
    return this::add;
  }

  /**
   * Adds a record (what the handler does).
   *
   * @param record the record received
   */
  public void add(Record<K, V> record) {
    synchronized (records) {
      records.add(record);
      records.notifyAll();
    }
  }

  /**
   * The consumer this collector started.
   *
   * @return the consumer, or null if this collector is {@link #detached()}
   */
  public @Nullable Consumer<K, V> consumer() {
    return consumer;
  }

  /**
   * A copy of the records collected so far, in the order the handler got them.
   *
   * @return the records
   */
  public List<Record<K, V>> records() {
    synchronized (records) {
      return new ArrayList<>(records);
    }
  }

  /**
   * The values collected so far, in order.
   *
   * @return the values
   */
  public List<V> values() {
    return records().stream().map(Record::value).collect(Collectors.toList());
  }

  /**
   * How many records were collected so far.
   *
   * @return the count
   */
  public int size() {
    synchronized (records) {
      return records.size();
    }
  }

  /**
   * Waits until at least {@code count} records were collected and returns them all (there may be
   * more). Fails after {@code timeout}, or as soon as the consumer stops with an error.
   *
   * @param count the records to wait for
   * @param timeout how long to wait at most
   * @return every record collected
   */
  public List<Record<K, V>> awaitCount(int count, Duration timeout) {
    return await(count + " records", timeout, r -> r.size() >= count);
  }

  /**
   * Waits until the records collected satisfy {@code condition} and returns them. Fails after
   * {@code timeout}, or as soon as the consumer stops with an error.
   *
   * @param description what is awaited, for the failure message
   * @param timeout how long to wait at most
   * @param condition tested on the records collected so far
   * @return the records that satisfied it
   */
  public List<Record<K, V>> await(
      String description, Duration timeout, Predicate<List<Record<K, V>>> condition) {
    return Await.until(
            description + " collected",
            timeout,
            () -> {
              failIfStopped();
              return new Snapshot<>(records());
            },
            s -> condition.test(s.records))
        .records;
  }

  private void failIfStopped() {
    Consumer<K, V> c = consumer;
    if (c == null) {
      return;
    }
    CompletableFuture<Void> termination = c.termination();
    if (termination.isCompletedExceptionally()) {
      try {
        termination.join();
      } catch (RuntimeException e) {
        throw new AssertionError(
            "The consumer stopped with an error after " + size() + " records: " + e.getCause(), e);
      }
    }
  }

  /** Closes the consumer, if this collector started one. */
  @Override
  public void close() {
    Consumer<K, V> c = consumer;
    if (c != null) {
      c.close();
    }
  }

  @Override
  public String toString() {
    return "RecordCollector{" + size() + " records}";
  }

  /** The records at one moment, shown briefly when a wait times out. */
  private static final class Snapshot<K, V> {
    final List<Record<K, V>> records;

    Snapshot(List<Record<K, V>> records) {
      this.records = records;
    }

    @Override
    public String toString() {
      int n = records.size();
      return n
          + " records"
          + (n == 0 ? "" : ", the last " + records.subList(Math.max(0, n - 5), n));
    }
  }
}
