package dev.sluice.internal;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.SendCallback;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Sluice's observations, through Micrometer's Observation API: a send observation (producer kind)
 * whose context injects the trace into the record's headers, and a process observation (consumer
 * kind) around the handler, continuing the trace found in the headers. With a tracing bridge (Brave
 * or OpenTelemetry, as Spring Boot configures) they become spans and the headers carry W3C {@code
 * traceparent}/{@code tracestate}, written as UTF-8 text like Spring Kafka writes them.
 *
 * <p>The only class of core that names Micrometer Observation types: it exists only when the
 * application gave an {@code ObservationRegistry}, so without one no Observation class is loaded
 * and the hot paths pay one null check. Names and attributes follow OpenTelemetry's messaging
 * semantic conventions: span {@code "send orders"} / {@code "process orders"}, {@code
 * messaging.system}, {@code messaging.destination.name}, {@code messaging.operation.type}, ...
 */
final class Tracing {
  static final String SEND = "sluice.send";
  static final String PROCESS = "sluice.process";

  private final ObservationRegistry registry;
  private final String system;

  /** Per stream: the same attributes on every send, built once. */
  private final Map<String, KeyValues> sendKeys = new ConcurrentHashMap<>();

  Tracing(ObservationRegistry registry, String backend) {
    this.registry = registry;
    this.system = messagingSystem(backend);
  }

  /** OpenTelemetry's {@code messaging.system} value for a backend (its own name if none). */
  static String messagingSystem(String backend) {
    switch (backend) {
      case "kafka":
        return "kafka";
      case "kinesis":
        return "aws_kinesis";
      default:
        return backend;
    }
  }

  /**
   * Starts the send observation of {@code raw} to {@code stream}, a child of the observation
   * current on this thread (the handler's, in a consumer or processor), and returns the record with
   * the trace written in its headers and the callback that ends the observation. The driver must
   * get both.
   */
  Send send(String stream, Record<byte[], byte[]> raw, SendCallback callback) {
    if (registry.isNoop()) {
      // A registry without handlers (Micrometer present, tracing not configured): nothing to do.
      return new Send(Observation.NOOP, raw, callback);
    }
    SenderContext<Headers.Builder> context =
        new SenderContext<>(
            (carrier, key, value) -> {
              if (carrier != null) {
                carrier.remove(key).add(key, value);
              }
            });
    Headers.Builder headers = raw.headers().toBuilder();
    context.setCarrier(headers);
    context.setRemoteServiceName(system);
    Observation observation =
        Observation.createNotStarted(SEND, () -> context, registry)
            .contextualName("send " + stream)
            .lowCardinalityKeyValues(sendKeys.computeIfAbsent(stream, this::sendKeys))
            .start();
    return new Send(observation, raw.withHeaders(headers.build()), callback);
  }

  private KeyValues sendKeys(String stream) {
    return KeyValues.of(
        "messaging.system",
        system,
        "messaging.destination.name",
        stream,
        "messaging.operation.type",
        "send",
        "messaging.operation.name",
        "send");
  }

  /**
   * Runs {@code handling} (the handler call with its retries and dead-lettering) inside a process
   * observation whose parent is the trace in {@code raw}'s headers, and returns its answer.
   */
  boolean process(
      String stream, @Nullable String group, Record<byte[], byte[]> raw, BooleanSupplier handling) {
    if (registry.isNoop()) {
      return handling.getAsBoolean();
    }
    ReceiverContext<Record<byte[], byte[]>> context =
        new ReceiverContext<>(
            (carrier, key) -> carrier == null ? null : carrier.headers().lastString(key));
    context.setCarrier(raw);
    context.setRemoteServiceName(system);
    KeyValues low =
        KeyValues.of(
            "messaging.system",
            system,
            "messaging.destination.name",
            stream,
            "messaging.operation.type",
            "process",
            "messaging.operation.name",
            "process");
    if (group != null) {
      low = low.and("messaging.consumer.group.name", group);
    }
    Shard shard = raw.shard();
    Position position = raw.position();
    Observation observation =
        Observation.createNotStarted(PROCESS, () -> context, registry)
            .contextualName("process " + stream)
            .lowCardinalityKeyValues(low)
            .highCardinalityKeyValues(
                KeyValues.of(
                    "messaging.destination.partition.id",
                    shard == null ? "" : shard.id(),
                    "messaging.message.body.size",
                    Integer.toString(raw.value() == null ? 0 : raw.value().length),
                    "sluice.position",
                    position == null ? "" : position.toString()))
            .start();
    boolean done = false;
    try (Observation.Scope scope = observation.openScope()) {
      done = handling.getAsBoolean();
      return done;
    } catch (RuntimeException | Error e) {
      observation.error(e);
      throw e;
    } finally {
      if (!done) {
        observation.lowCardinalityKeyValue("sluice.outcome", "not-done");
      }
      observation.stop();
    }
  }

  /** One send in flight: the traced record, and the driver's callback that ends its observation. */
  static final class Send implements SendCallback {
    private final Observation observation;
    private final Record<byte[], byte[]> record;
    private final SendCallback callback;

    private Send(Observation observation, Record<byte[], byte[]> record, SendCallback callback) {
      this.observation = observation;
      this.record = record;
      this.callback = callback;
    }

    /** The record to hand to the driver: the one sent, its headers carrying the trace. */
    Record<byte[], byte[]> record() {
      return record;
    }

    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {
      // Ended before the application hears of it: a span is complete once the send is.
      observation.highCardinalityKeyValue("messaging.destination.partition.id", shard.id());
      observation.stop();
      callback.sent(shard, position, timestampMillis);
    }

    @Override
    public void failed(Throwable error) {
      observation.error(error);
      observation.stop();
      callback.failed(error);
    }
  }
}
