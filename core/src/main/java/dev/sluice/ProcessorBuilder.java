package dev.sluice;

import dev.sluice.internal.ProcessorSettings;
import dev.sluice.internal.SluiceRuntime;
import dev.sluice.internal.Validation;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link Processor}, a consume → transform → produce stage; made by {@link
 * Sluice#processor}. A group and at least one output are required.
 *
 * <pre>{@code
 * Destination<String, String> enriched = Destination.of("enriched", Serde.string(), Serde.string());
 * Processor enrich = sluice.processor("raw", Serde.string(), Serde.string())
 *     .group("enrich")
 *     .output(enriched)
 *     .guarantee(ProcessingGuarantee.EXACTLY_ONCE)
 *     .start((record, out) -> out.send(enriched, record.key(), record.value().toUpperCase()));
 * }</pre>
 *
 * @param <K> input key type
 * @param <V> input value type
 */
public final class ProcessorBuilder<K, V> {
  private final SluiceRuntime runtime;
  private final String stream;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private final Map<String, Destination<?, ?>> outputs = new LinkedHashMap<>();
  private @Nullable String group;
  private ProcessingGuarantee guarantee = ProcessingGuarantee.AT_LEAST_ONCE;
  private Duration commitInterval = Duration.ofMillis(100);
  private StartPosition startPosition = StartPosition.earliest();
  private FailurePolicy failurePolicy = FailurePolicy.defaults();
  private int maxBufferedRecords = 10_000;

  ProcessorBuilder(SluiceRuntime runtime, String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    this.runtime = runtime;
    this.stream = stream;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /**
   * The consumer group the input is read in (required): members with the same group share the input
   * shards, and the group's checkpoints say how far the stage has got.
   *
   * @param group the consumer group's name
   * @return this builder
   */
  public ProcessorBuilder<K, V> group(String group) {
    this.group = Validation.notNull(group, "group");
    return this;
  }

  /**
   * Declares a stream the function may send to; each must exist when the processor starts.
   *
   * @param output a stream the processor may send to
   * @return this builder
   */
  public ProcessorBuilder<K, V> output(Destination<?, ?> output) {
    Validation.notNull(output, "output");
    Destination<?, ?> before = outputs.putIfAbsent(output.stream(), output);
    if (before != null && !before.equals(output)) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Output stream '" + output.stream() + "' is declared twice with different serdes");
    }
    return this;
  }

  /**
   * {@link ProcessingGuarantee#AT_LEAST_ONCE} by default.
   *
   * @param guarantee the processing guarantee
   * @return this builder
   */
  public ProcessorBuilder<K, V> guarantee(ProcessingGuarantee guarantee) {
    this.guarantee = Validation.notNull(guarantee, "guarantee");
    return this;
  }

  /**
   * How often progress is committed: under {@code EXACTLY_ONCE} with transactions, how long one
   * transaction collects outputs before it commits them with the input checkpoints (outputs become
   * visible downstream only then); otherwise how often acknowledged checkpoints are written. 100 ms
   * by default, as Kafka Streams under exactly-once: longer gives more throughput and more latency.
   *
   * @param interval the interval
   * @return this builder
   */
  public ProcessorBuilder<K, V> commitInterval(Duration interval) {
    Validation.notNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "commitInterval must be positive");
    }
    this.commitInterval = interval;
    return this;
  }

  /**
   * Where input shards without a checkpoint start; earliest by default.
   *
   * @param startPosition where to start in a shard with no checkpoint
   * @return this builder
   */
  public ProcessorBuilder<K, V> startPosition(StartPosition startPosition) {
    this.startPosition = Validation.notNull(startPosition, "startPosition");
    return this;
  }

  /**
   * What happens when the function throws: retried in place, then the processor stops (the default,
   * {@link FailurePolicy#defaults()}), skips the input, or dead-letters it. A retried call sends
   * nothing of its failed attempts.
   *
   * @param policy the failure policy
   * @return this builder
   */
  public ProcessorBuilder<K, V> failurePolicy(FailurePolicy policy) {
    this.failurePolicy = Validation.notNull(policy, "policy");
    return this;
  }

  /**
   * Input records buffered per shard before it is paused; see {@link ConsumerBuilder}.
   *
   * @param records the records, in send order
   * @return this builder
   */
  public ProcessorBuilder<K, V> maxBufferedRecords(int records) {
    if (records < 1) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "maxBufferedRecords must be >= 1");
    }
    this.maxBufferedRecords = records;
    return this;
  }

  /**
   * Starts the processor.
   *
   * @param function called with each input record
   * @return the running processor
   * @throws SluiceException {@code INVALID_ARGUMENT} without a group or an output; {@code
   *     UNSUPPORTED} for {@code EXACTLY_ONCE} on a backend with neither transactions nor
   *     deduplication; {@code NOT_FOUND} if the input or an output stream does not exist
   */
  public Processor start(ProcessorFunction<K, V> function) {
    Validation.notNull(function, "function");
    if (group == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "A processor needs a group (.group(\"name\")): its progress is the group's checkpoints");
    }
    if (outputs.isEmpty()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "A processor needs at least one output stream (.output(destination)); to only read,"
              + " use sluice.consumer(...)");
    }
    return runtime.startProcessor(
        new ProcessorSettings<>(
            stream,
            group,
            keySerde,
            valueSerde,
            Map.copyOf(outputs),
            guarantee,
            commitInterval,
            startPosition,
            failurePolicy,
            maxBufferedRecords,
            function));
  }
}
