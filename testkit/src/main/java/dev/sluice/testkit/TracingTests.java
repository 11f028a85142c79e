package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Destination;
import dev.sluice.FailurePolicy;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tracing through Micrometer Observation, seen as a service with OpenTelemetry would see it: W3C
 * {@code traceparent} in the record's headers, a send span, a process span continuing it around the
 * handler, and the trace kept through dead-lettering and a processor's outputs.
 */
abstract class TracingTests extends ConformanceArea {
  private static final String TRACEPARENT = "traceparent";

  /** Version 00, 32 hex trace id, 16 hex span id, sampled: what W3C Trace Context defines. */
  private static final String W3C_TRACEPARENT = "00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-9a-f]";

  @Test
  @DisplayName(
      "a send writes a W3C traceparent header, and the handler runs inside a process span that is the send span's child")
  void processSpanIsTheSendSpansChild() {
    InMemoryTracer tracer = track(new InMemoryTracer());
    Sluice traced = traced(tracer);
    String stream = stream(1);
    await(producer(traced, stream).send("k", "v"));
    List<String> spanInHandler = new CopyOnWriteArrayList<>();
    RecordCollector<String, String> c =
        collect(
            consumerOf(traced, stream).group(group()),
            r -> {
              Span current = tracer.currentSpan();
              spanInHandler.add(current == null ? "no span" : id(current));
            });
    Record<String, String> received = c.awaitCount(1, timeout()).get(0);

    SpanData send = span(tracer, "send " + stream);
    SpanData process = span(tracer, "process " + stream);
    byte[] header = received.headers().last(TRACEPARENT);
    assertThat(header).as("the traceparent header").isNotNull();
    String traceparent = new String(header, StandardCharsets.UTF_8);
    assertThat(traceparent).matches(W3C_TRACEPARENT);
    assertThat(traceparent).startsWith("00-" + send.getTraceId() + "-" + send.getSpanId() + "-");

    assertThat(send.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(process.getTraceId()).isEqualTo(send.getTraceId());
    assertThat(process.getParentSpanId()).isEqualTo(send.getSpanId());
    assertThat(spanInHandler).containsExactly(process.getTraceId() + "/" + process.getSpanId());

    String system = backend().equals("kinesis") ? "aws_kinesis" : backend();
    assertThat(attribute(send, "messaging.system")).isEqualTo(system);
    assertThat(attribute(send, "messaging.destination.name")).isEqualTo(stream);
    assertThat(attribute(send, "messaging.operation.type")).isEqualTo("send");
    assertThat(attribute(process, "messaging.system")).isEqualTo(system);
    assertThat(attribute(process, "messaging.destination.name")).isEqualTo(stream);
    assertThat(attribute(process, "messaging.operation.type")).isEqualTo("process");
    assertThat(attribute(process, "messaging.destination.partition.id"))
        .isEqualTo(received.shard().id());
  }

  @Test
  @DisplayName("a send made inside the application's own observation joins its trace")
  void sendJoinsTheApplicationsTrace() {
    InMemoryTracer tracer = track(new InMemoryTracer());
    Sluice traced = traced(tracer);
    String stream = stream(1);
    Producer<String, String> producer = producer(traced, stream);
    Observation request = Observation.start("handle-http-request", tracer.registry());
    try (Observation.Scope scope = request.openScope()) {
      await(producer.send("k", "v"));
    } finally {
      request.stop();
    }
    SpanData parent = span(tracer, "handle-http-request");
    SpanData send = span(tracer, "send " + stream);
    assertThat(send.getTraceId()).isEqualTo(parent.getTraceId());
    assertThat(send.getParentSpanId()).isEqualTo(parent.getSpanId());
  }

  @Test
  @DisplayName(
      "a dead-lettered record keeps the trace: one traceparent, sent from inside the failed record's process span")
  void deadLetteredRecordKeepsTheTrace() {
    InMemoryTracer tracer = track(new InMemoryTracer());
    Sluice traced = traced(tracer);
    String stream = stream(1);
    String deadLetters = stream(1);
    await(producer(traced, stream).send("k", "poison"));
    collect(
        consumerOf(traced, stream)
            .group(group())
            .failurePolicy(
                FailurePolicy.retry(1, Duration.ZERO, Duration.ZERO).thenDeadLetter(deadLetters)),
        r -> {
          throw new IllegalStateException("cannot digest " + r.value());
        });
    RecordCollector<String, String> dead = collect(consumerOf(traced, deadLetters).group(group()));
    Record<String, String> deadLettered = dead.awaitCount(1, timeout()).get(0);

    SpanData send = span(tracer, "send " + stream);
    SpanData process = span(tracer, "process " + stream);
    SpanData deadLetterSend = span(tracer, "send " + deadLetters);
    SpanData deadLetterProcess = span(tracer, "process " + deadLetters);
    assertThat(deadLettered.headers().all(TRACEPARENT)).hasSize(1);
    assertThat(deadLettered.headers().lastString(TRACEPARENT))
        .matches(W3C_TRACEPARENT)
        .startsWith("00-" + send.getTraceId() + "-" + deadLetterSend.getSpanId() + "-");
    assertThat(deadLetterSend.getTraceId()).isEqualTo(send.getTraceId());
    assertThat(deadLetterSend.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(deadLetterProcess.getTraceId()).isEqualTo(send.getTraceId());
    assertThat(deadLetterProcess.getParentSpanId()).isEqualTo(deadLetterSend.getSpanId());
  }

  @Test
  @DisplayName("a processor's outputs continue the trace of the input they came from")
  void processorOutputsContinueTheTrace() {
    InMemoryTracer tracer = track(new InMemoryTracer());
    Sluice traced = traced(tracer);
    String input = stream(1);
    String output = stream(1);
    Destination<String, String> out = Destination.of(output, Serde.string(), Serde.string());
    await(producer(traced, input).send("k", "hello"));
    Processor processor =
        track(
            traced
                .processor(input, Serde.string(), Serde.string())
                .group(group())
                .output(out)
                .guarantee(ProcessingGuarantee.AT_LEAST_ONCE)
                .start((r, outputs) -> outputs.send(out, r.key(), r.value().toUpperCase())));
    RecordCollector<String, String> c = collect(consumerOf(traced, output).group(group()));
    Record<String, String> emitted = c.awaitCount(1, timeout()).get(0);
    assertThat(emitted.value()).isEqualTo("HELLO");
    assertThat(processor.termination()).isNotDone();

    SpanData send = span(tracer, "send " + input);
    SpanData process = span(tracer, "process " + input);
    SpanData outputSend = span(tracer, "send " + output);
    assertThat(process.getParentSpanId()).isEqualTo(send.getSpanId());
    assertThat(outputSend.getTraceId()).isEqualTo(send.getTraceId());
    assertThat(outputSend.getParentSpanId()).isEqualTo(process.getSpanId());
    assertThat(emitted.headers().lastString(TRACEPARENT))
        .startsWith("00-" + send.getTraceId() + "-" + outputSend.getSpanId() + "-");
  }

  @Test
  @DisplayName("without an ObservationRegistry nothing is traced: no traceparent header is written")
  void offByDefault() {
    String stream = stream(1);
    await(strings(stream).send("k", "v"));
    RecordCollector<String, String> c = collect(consumerOf(stream).group(group()));
    assertThat(c.awaitCount(1, timeout()).get(0).headers().last(TRACEPARENT)).isNull();
  }

  private Sluice traced(InMemoryTracer tracer) {
    Sluice s = harnessNow().builder().observationRegistry(tracer.registry()).open();
    opened.add(s);
    return s;
  }

  private Producer<String, String> producer(Sluice s, String stream) {
    return track(s.producer(stream, Serde.string(), Serde.string()));
  }

  /** The one span of this name, once it has ended; fails if there are more. */
  private SpanData span(InMemoryTracer tracer, String name) {
    List<SpanData> named =
        Await.until(
            "a span named '" + name + "' has ended",
            timeout(),
            () -> tracer.finished().stream().filter(s -> s.getName().equals(name)).toList(),
            spans -> !spans.isEmpty());
    assertThat(named).as("spans named '%s'", name).hasSize(1);
    return named.get(0);
  }

  private static String id(Span span) {
    return span.context().traceId() + "/" + span.context().spanId();
  }

  private static String attribute(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }
}
