package dev.sluice.kinesis.internal;

import dev.sluice.Headers;
import dev.sluice.Record;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Kinesis envelope (headers and timestamp around a value, docs/kinesis-envelope.md) on a
 * 100-byte value: a record without headers or timestamp goes as its plain value; one with two
 * headers and a timestamp is wrapped. In package {@code dev.sluice.kinesis.internal} because the
 * codec is package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EnvelopeBenchmark {
  private byte[] value;
  private Headers headers;
  private long timestamp;
  private byte[] wrapped;

  @Setup
  public void setUp() {
    value = new byte[100];
    headers =
        Headers.builder().add("trace-id", "4bf92f3577b34da6").add("source", "checkout").build();
    timestamp = 1_700_000_000_000L;
    wrapped = Envelope.encode(headers, value, timestamp);
  }

  @Benchmark
  public byte[] encodePlain() {
    return Envelope.encode(Headers.empty(), value, Record.NO_TIMESTAMP);
  }

  @Benchmark
  public byte[] encodeWithHeaders() {
    return Envelope.encode(headers, value, timestamp);
  }

  @Benchmark
  public Object decodePlain() {
    return Envelope.decode(value);
  }

  @Benchmark
  public Object decodeWithHeaders() {
    return Envelope.decode(wrapped);
  }
}
