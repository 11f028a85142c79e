package dev.sluice.benchmarks.jmh;

import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.spi.Backend;
import dev.sluice.spi.BackendContext;
import dev.sluice.spi.BackendProvider;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.SendCallback;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The send path down to the SPI: {@code Producer.send} on the memory backend (record, serde check,
 * validation, the future) against the memory driver called directly. The difference is what
 * Sluice's portable layer costs per record; {@code -prof gc} shows its allocation.
 *
 * <p>Streams keep 1 s of records (retention) and are recreated every iteration, so the heap stays
 * bounded however fast the sends go.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgs = {"-Xms2g", "-Xmx2g"})
public class SendPathBenchmark {
  private static final SendCallback IGNORE =
      new SendCallback() {
        @Override
        public void sent(Shard shard, Position position, long timestampMillis) {}

        @Override
        public void failed(Throwable error) {
          throw new IllegalStateException(error);
        }
      };

  /** Sends reported failed to {@link #ON_COMPLETE}; an iteration with any fails the run. */
  private static final AtomicLong FAILED = new AtomicLong();

  private static final BiConsumer<SendResult, Throwable> ON_COMPLETE =
      (result, error) -> {
        if (error != null) {
          FAILED.incrementAndGet();
        }
      };

  private final String namespace = "jmh-" + UUID.randomUUID();
  private byte[][] keys;
  private byte[] value;
  private final Instant timestamp = Instant.parse("2026-12-01T00:00:00Z");
  private int next;
  private int iteration;
  private Sluice sluice;
  private Backend backend;
  private Producer<byte[], byte[]> producer;
  private ProducerDriver driver;

  @Setup
  public void setUp() {
    keys = new byte[1024][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = String.format("key-%08d", i).getBytes(StandardCharsets.UTF_8);
    }
    value = new byte[100];
    sluice = Sluice.builder().ignoreEnvironment().set("sluice.memory.namespace", namespace).open();
    backend = memoryBackend(namespace);
  }

  @Setup(Level.Iteration)
  public void newStream() {
    String stream = "send-" + ++iteration;
    sluice.admin().createStream(stream, StreamSpec.withShards(4).retention(Duration.ofSeconds(1)));
    producer = sluice.producer(stream);
    driver = backend.producer(new ProducerSpec(stream, "jmh-driver"));
  }

  @TearDown(Level.Iteration)
  public void dropStream() {
    if (FAILED.get() > 0) {
      throw new IllegalStateException(FAILED.get() + " sends failed");
    }
    producer.close();
    driver.close();
    sluice.admin().deleteStream(producer.stream());
  }

  @TearDown
  public void tearDown() {
    backend.close();
    sluice.close();
  }

  private byte[] key() {
    next = (next + 1) & 1023;
    return keys[next];
  }

  @Benchmark
  public CompletableFuture<SendResult> sluiceProducerSend() {
    return producer.send(key(), value);
  }

  /** The callback form with one shared callback: no future per send. */
  @Benchmark
  public void sluiceProducerSendCallback() {
    producer.send(key(), value, ON_COMPLETE);
  }

  /**
   * The callback form with a timestamp on every record, which core checks against the backend's
   * range. Against {@link #sluiceProducerSendCallback}: what that check costs (it once formatted
   * the timestamp as text on every send, for a message only a refused record needs).
   */
  @Benchmark
  public void sluiceProducerSendTimestamped() {
    producer.send(Record.builder(key(), value).timestamp(timestamp).build(), ON_COMPLETE);
  }

  @Benchmark
  public void driverSend() {
    driver.send(Record.of(key(), value), IGNORE);
  }

  private static Backend memoryBackend(String namespace) {
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      if (p.name().equals("memory")) {
        Map<String, String> config = Map.of("sluice.memory.namespace", namespace);
        return p.open(
            new BackendContext() {
              @Override
              public Map<String, String> config() {
                return config;
              }

              @Override
              public Map<String, String> section() {
                return Map.of("namespace", namespace);
              }

              @Override
              public @Nullable MeterRegistry meterRegistry() {
                return null;
              }
            });
      }
    }
    throw new IllegalStateException("No memory backend on the class path");
  }
}
