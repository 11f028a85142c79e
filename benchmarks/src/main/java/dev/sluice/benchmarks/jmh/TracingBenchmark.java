package dev.sluice.benchmarks.jmh;

import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What tracing costs a send on the memory backend (the callback form, so no future per send):
 * {@code off} (no ObservationRegistry: the default), {@code noop} (a registry with no handler, as
 * an application with Micrometer but no tracing has), {@code observed} (a registry with one handler
 * that does nothing, so Sluice builds and starts every observation and writes no header). {@code
 * off} against {@code SendPathBenchmark.sluiceProducerSendCallback} of a build without tracing is
 * the "zero cost when off" check.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgs = {"-Xms2g", "-Xmx2g"})
public class TracingBenchmark {
  private static final BiConsumer<SendResult, Throwable> ON_COMPLETE =
      (result, error) -> {
        if (error != null) {
          throw new IllegalStateException(error);
        }
      };

  @Param({"off", "noop", "observed"})
  public String tracing;

  private final String namespace = "jmh-tracing-" + UUID.randomUUID();
  private final byte[] value = new byte[100];
  private byte[][] keys;
  private int next;
  private int iteration;
  private Sluice sluice;
  private Producer<byte[], byte[]> producer;

  @Setup
  public void setUp() {
    keys = new byte[1024][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = String.format("key-%08d", i).getBytes(StandardCharsets.UTF_8);
    }
    Sluice.Builder builder =
        Sluice.builder().ignoreEnvironment().set("sluice.memory.namespace", namespace);
    if (!tracing.equals("off")) {
      ObservationRegistry registry = ObservationRegistry.create();
      if (tracing.equals("observed")) {
        registry
            .observationConfig()
            .observationHandler(
                new ObservationHandler<Observation.Context>() {
                  @Override
                  public boolean supportsContext(Observation.Context context) {
                    return true;
                  }
                });
      }
      builder.observationRegistry(registry);
    }
    sluice = builder.open();
  }

  @Setup(Level.Iteration)
  public void newStream() {
    String stream = "traced-" + ++iteration;
    sluice.admin().createStream(stream, StreamSpec.withShards(4).retention(Duration.ofSeconds(1)));
    producer = sluice.producer(stream);
  }

  @TearDown(Level.Iteration)
  public void dropStream() {
    producer.close();
    sluice.admin().deleteStream(producer.stream());
  }

  @TearDown
  public void tearDown() {
    sluice.close();
  }

  @Benchmark
  public void send() {
    next = (next + 1) & 1023;
    producer.send(keys[next], value, ON_COMPLETE);
  }
}
