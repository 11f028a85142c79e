package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ConsumerBuilder;
import dev.sluice.Destination;
import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.ProcessorFunction;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The processor area of the conformance kit: a consume → transform → produce stage keeps its {@link
 * ProcessingGuarantee} across a restart, a rebalance and a failing function, on every backend with
 * the guarantees it supports. {@code AT_LEAST_ONCE}: every input's output arrives. {@code
 * EXACTLY_ONCE}: every input's output arrives exactly once (on a backend with transactions, as a
 * {@code read_committed} reader sees it; on one with deduplication only, as a deduplicating group
 * consumer sees it).
 *
 * <p>Each input {@code v-i} gives one output {@code out-v-i} with the same key, and every tenth
 * input a second one to another stream, so the outputs of one input span two streams.
 */
abstract class ProcessorTests extends ConformanceArea {
  private static final int INPUTS = 200;

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProcessingGuarantee.class)
  @DisplayName(
      "outputs every input once more after a restart: a second processor of the group resumes"
          + " where the first, closed mid-stream, committed")
  void acrossRestart(ProcessingGuarantee guarantee) {
    requireGuarantee(guarantee);
    Pipeline p = pipeline();
    Processor first = p.start(sluice(), guarantee, (in, out) -> p.transform(in, out));
    p.send(0, INPUTS / 2);
    Await.until("the first processor writes some outputs", timeout(), () -> p.outputs.size() >= 10);
    first.close();

    p.send(INPUTS / 2, INPUTS);
    p.start(open(), guarantee, (in, out) -> p.transform(in, out));

    p.assertOutputs(guarantee);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProcessingGuarantee.class)
  @DisplayName(
      "outputs every input once more while a second member joins the group and takes shards over")
  void acrossRebalance(ProcessingGuarantee guarantee) {
    requireGuarantee(guarantee);
    Pipeline p = pipeline();
    p.start(sluice(), guarantee, (in, out) -> p.transform(in, out));
    p.send(0, INPUTS / 2);
    Await.until("the first member writes some outputs", timeout(), () -> p.outputs.size() >= 10);

    Processor second = p.start(open(), guarantee, (in, out) -> p.transform(in, out));
    Await.until("the second member owns shards", timeout(), () -> !second.assignment().isEmpty());
    p.send(INPUTS / 2, INPUTS);

    p.assertOutputs(guarantee);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProcessingGuarantee.class)
  @DisplayName(
      "outputs every input once more when the function fails: a retried call sends nothing of its"
          + " failed attempts")
  void acrossRetriedFailures(ProcessingGuarantee guarantee) {
    requireGuarantee(guarantee);
    Pipeline p = pipeline();
    Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    p.start(
        sluice(),
        guarantee,
        (in, out) -> {
          p.transform(in, out);
          int attempt =
              attempts.computeIfAbsent(in.value(), v -> new AtomicInteger()).incrementAndGet();
          if (index(in.value()) % 7 == 0 && attempt == 1) {
            throw new IllegalStateException("failing once after emitting: " + in.value());
          }
        });
    p.send(0, INPUTS);

    p.assertOutputs(guarantee);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProcessingGuarantee.class)
  @DisplayName(
      "stops with HANDLER_FAILED when the function fails past its policy, and a new processor of"
          + " the group then outputs every input once more")
  void afterStoppingOnFailure(ProcessingGuarantee guarantee) {
    requireGuarantee(guarantee);
    Pipeline p = pipeline();
    Processor failing =
        p.start(
            sluice(),
            guarantee,
            FailurePolicy.stopOnFailure(),
            (in, out) -> {
              p.transform(in, out);
              if (index(in.value()) == INPUTS / 2) {
                throw new IllegalStateException("poison: " + in.value());
              }
            });
    p.send(0, INPUTS);

    Throwable stopped =
        catchThrowable(
            () ->
                failing
                    .termination()
                    .get(timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
    assertThat(stopped).hasCauseInstanceOf(SluiceException.class);
    assertThat(((SluiceException) stopped.getCause()).code()).isEqualTo(ErrorCode.HANDLER_FAILED);
    p.start(open(), guarantee, (in, out) -> p.transform(in, out));

    p.assertOutputs(guarantee);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ProcessingGuarantee.class)
  @DisplayName(
      "is refused when built: without a group, or with an output stream that does not exist")
  void refusedWhenBuilt(ProcessingGuarantee guarantee) {
    requireGuarantee(guarantee);
    String input = stream(1);
    Destination<String, String> missing =
        Destination.of(harnessNow().missingStreamName(), Serde.string(), Serde.string());

    Throwable noGroup =
        catchThrowable(
            () ->
                sluice()
                    .processor(input, Serde.string(), Serde.string())
                    .output(missing)
                    .guarantee(guarantee)
                    .start((in, out) -> {}));
    Throwable noOutput =
        catchThrowable(
            () ->
                sluice()
                    .processor(input, Serde.string(), Serde.string())
                    .group(group())
                    .output(missing)
                    .guarantee(guarantee)
                    .start((in, out) -> {}));

    assertThat(((SluiceException) noGroup).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(((SluiceException) noOutput).code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName(
      "EXACTLY_ONCE is refused with UNSUPPORTED when built on a backend with neither transactions"
          + " nor deduplication")
  void exactlyOnceRefusedWithoutSupport() {
    Assumptions.assumeFalse(
        supports(ProcessingGuarantee.EXACTLY_ONCE),
        "the backend declares TRANSACTIONS or DEDUPLICATION");
    String input = stream(1);
    Destination<String, String> output = Destination.of(stream(1), Serde.string(), Serde.string());

    Throwable thrown =
        catchThrowable(
            () ->
                sluice()
                    .processor(input, Serde.string(), Serde.string())
                    .group(group())
                    .output(output)
                    .guarantee(ProcessingGuarantee.EXACTLY_ONCE)
                    .start((in, out) -> out.send(output, in.key(), in.value())));

    assertThat(thrown).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) thrown).code()).isEqualTo(ErrorCode.UNSUPPORTED);
    assertThat(thrown.getMessage()).contains("EXACTLY_ONCE", "AT_LEAST_ONCE", backend());
  }

  // ------------------------------------------------------------------ the pipeline under test

  /** An input stream, two output streams, a group, and collectors of the outputs. */
  private final class Pipeline {
    final String input = stream(4);
    final Destination<String, String> main =
        Destination.of(stream(3), Serde.string(), Serde.string());
    final Destination<String, String> side =
        Destination.of(stream(1), Serde.string(), Serde.string());
    final String group = group();
    final RecordCollector<String, String> outputs = track(reader(main));
    final RecordCollector<String, String> sideOutputs = track(reader(side));
    final Producer<String, String> producer =
        track(sluice().producer(input, Serde.string(), Serde.string()));

    /**
     * Reads an output stream from its start. Where exactly-once comes from deduplication only, as a
     * user must: a deduplicating group consumer, which drops the second copies a restarted
     * processor writes again.
     */
    private RecordCollector<String, String> reader(Destination<String, String> output) {
      ConsumerBuilder<String, String> reader =
          sluice().consumer(output.stream(), Serde.string(), Serde.string());
      if (deduplicationOnly()) {
        reader.group(group()).deduplicate();
      }
      return RecordCollector.of(reader);
    }

    void transform(Record<String, String> in, dev.sluice.Outputs out) {
      out.send(main, in.key(), "out-" + in.value());
      if (index(in.value()) % 10 == 0) {
        out.send(side, in.key(), "side-" + in.value());
      }
    }

    Processor start(Sluice on, ProcessingGuarantee guarantee, ProcessorFunction<String, String> f) {
      return start(on, guarantee, FailurePolicy.defaults(), f);
    }

    Processor start(
        Sluice on,
        ProcessingGuarantee guarantee,
        FailurePolicy policy,
        ProcessorFunction<String, String> f) {
      return track(
          on.processor(input, Serde.string(), Serde.string())
              .group(group)
              .output(main)
              .output(side)
              .guarantee(guarantee)
              .failurePolicy(policy)
              .commitInterval(Duration.ofMillis(50))
              .start(f));
    }

    void send(int from, int to) {
      List<CompletableFuture<?>> sends = new ArrayList<>();
      for (int i = from; i < to; i++) {
        sends.add(producer.send("key-" + (i % 13), "v-" + i));
      }
      sends.forEach(f -> assertThat(f).succeedsWithin(timeout()));
    }

    /** Every output arrived; under EXACTLY_ONCE each once, and nothing more comes. */
    void assertOutputs(ProcessingGuarantee guarantee) {
      List<String> expected = new ArrayList<>();
      List<String> expectedSide = new ArrayList<>();
      for (int i = 0; i < INPUTS; i++) {
        expected.add("out-v-" + i);
        if (i % 10 == 0) {
          expectedSide.add("side-v-" + i);
        }
      }
      Await.until(
          "every input's outputs arrive",
          timeout().multipliedBy(2),
          () ->
              Set.copyOf(outputs.values()).containsAll(expected)
                  && Set.copyOf(sideOutputs.values()).containsAll(expectedSide));
      if (guarantee == ProcessingGuarantee.EXACTLY_ONCE) {
        Await.holdsFor(
            "no output arrives twice",
            quietPeriod().multipliedBy(2),
            () -> outputs.size() == expected.size() && sideOutputs.size() == expectedSide.size());
        assertThat(duplicates(outputs.values())).isEmpty();
        assertThat(duplicates(sideOutputs.values())).isEmpty();
      }
      // Per key, outputs keep their inputs' order (the first time each is seen).
      Map<String, List<Integer>> perKey = new HashMap<>();
      for (Record<String, String> r : outputs.records()) {
        perKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(index(r.value()));
      }
      perKey.forEach(
          (key, order) -> {
            List<Integer> firstSeen = order.stream().distinct().collect(Collectors.toList());
            if (guarantee == ProcessingGuarantee.EXACTLY_ONCE) {
              assertThat(firstSeen).as("outputs of key %s", key).isSorted();
            }
          });
    }
  }

  private Pipeline pipeline() {
    return new Pipeline();
  }

  private static Map<String, Long> duplicates(List<String> values) {
    Map<String, Long> counts =
        values.stream().collect(Collectors.groupingBy(v -> v, Collectors.counting()));
    counts.values().removeIf(c -> c == 1);
    return counts;
  }

  /** The number in {@code v-12}, {@code out-v-12}. */
  private static int index(String value) {
    return Integer.parseInt(value.substring(value.lastIndexOf('-') + 1));
  }

  // ------------------------------------------------------------------ helpers

  private boolean supports(ProcessingGuarantee guarantee) {
    return guarantee == ProcessingGuarantee.AT_LEAST_ONCE
        || sluice().capabilities().supports(Capability.TRANSACTIONS)
        || sluice().capabilities().supports(Capability.DEDUPLICATION);
  }

  /** Skips a test of the guarantee where the backend cannot give it. */
  private void requireGuarantee(ProcessingGuarantee guarantee) {
    Assumptions.assumeTrue(supports(guarantee), "the backend does not support " + guarantee);
  }

  /** EXACTLY_ONCE here comes from write ids and deduplicating consumers, not transactions. */
  private boolean deduplicationOnly() {
    return !sluice().capabilities().supports(Capability.TRANSACTIONS)
        && sluice().capabilities().supports(Capability.DEDUPLICATION);
  }
}
