package dev.sluice.benchmarks.jmh;

import dev.sluice.Serde;
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

/** The built-in serdes on a ~100-byte value: UTF-8 text and JSON (Jackson) of a small object. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SerdeBenchmark {
  /** A typical small event. */
  public static final class Order {
    public String id;
    public String customer;
    public long amountCents;
    public String currency;
    public long createdAt;

    public Order() {}

    Order(String id, String customer, long amountCents, String currency, long createdAt) {
      this.id = id;
      this.customer = customer;
      this.amountCents = amountCents;
      this.currency = currency;
      this.createdAt = createdAt;
    }
  }

  private final Serde<String> string = Serde.string();
  private final Serde<Order> json = Serde.json(Order.class);
  private String text;
  private byte[] textBytes;
  private Order order;
  private byte[] orderBytes;

  @Setup
  public void setUp() {
    text = "x".repeat(100);
    textBytes = string.serialize(text);
    order = new Order("order-000123", "customer-7", 12_345, "EUR", 1_700_000_000_000L);
    orderBytes = json.serialize(order);
  }

  @Benchmark
  public byte[] stringSerialize() {
    return string.serialize(text);
  }

  @Benchmark
  public String stringDeserialize() {
    return string.deserialize(textBytes);
  }

  @Benchmark
  public byte[] jsonSerialize() {
    return json.serialize(order);
  }

  @Benchmark
  public Order jsonDeserialize() {
    return json.deserialize(orderBytes);
  }
}
