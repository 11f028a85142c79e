package dev.sluice.testkit;

import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A real tracer wired as Spring Boot wires one with OpenTelemetry: Micrometer Observation → the
 * OpenTelemetry bridge → the OpenTelemetry SDK with W3C propagation, every span sampled and kept in
 * memory once it ends. What a service with tracing on would export, minus the exporter.
 */
final class InMemoryTracer implements AutoCloseable {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder()
          .setSampler(Sampler.alwaysOn())
          .addSpanProcessor(SimpleSpanProcessor.create(spans))
          .build();
  private final Tracer tracer;
  private final ObservationRegistry registry = ObservationRegistry.create();

  InMemoryTracer() {
    io.opentelemetry.api.trace.Tracer otel = provider.get("sluice-conformance-kit");
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    tracer =
        new OtelTracer(
            otel, current, event -> {}, new OtelBaggageManager(current, List.of(), List.of()));
    OtelPropagator propagator =
        new OtelPropagator(
            ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel);
    registry
        .observationConfig()
        .observationHandler(
            new ObservationHandler.FirstMatchingCompositeObservationHandler(
                new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                new DefaultTracingObservationHandler(tracer)));
  }

  /** The registry to give Sluice. */
  ObservationRegistry registry() {
    return registry;
  }

  /** The span current on this thread, or null. */
  @Nullable Span currentSpan() {
    return tracer.currentSpan();
  }

  /** The spans ended so far, in the order they ended. */
  List<SpanData> finished() {
    return spans.getFinishedSpanItems();
  }

  @Override
  public void close() {
    provider.close();
  }
}
