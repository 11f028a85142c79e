package dev.sluice.benchmarks.jmh;

import dev.sluice.Serde;
import dev.sluice.schema.AvroSerde;
import dev.sluice.schema.SchemaRegistry;
import dev.sluice.testbrokers.SchemaRegistryServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
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
 * The registry-backed Avro serde beside Avro's own {@code BinaryEncoder}/{@code BinaryDecoder} on
 * the same 5-field record. The serde talks to a real registry once, in the setup (ids are cached);
 * what is measured is the framing and encoding per record. It needs the Apicurio Registry app the
 * schema module's integration tests unpack: pass {@code -jvmArgsAppend
 * -Dsluice.schema.registry.home=schema/target/apicurio}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AvroSerdeBenchmark {
  private static final Schema ORDER =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"bench\",\"fields\":["
                  + "{\"name\":\"id\",\"type\":\"string\"},"
                  + "{\"name\":\"customer\",\"type\":\"string\"},"
                  + "{\"name\":\"amountCents\",\"type\":\"long\"},"
                  + "{\"name\":\"currency\",\"type\":\"string\"},"
                  + "{\"name\":\"createdAt\",\"type\":\"long\"}]}");

  private SchemaRegistryServer server;
  private Serde<GenericRecord> serde;
  private GenericRecord order;
  private byte[] framed;
  private byte[] plain;
  private final GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(ORDER);
  private final GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(ORDER);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);
  private BinaryEncoder encoder;
  private BinaryDecoder decoder;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    server = SchemaRegistryServer.startNew();
    serde =
        AvroSerde.forStream(SchemaRegistry.at(server.confluentApiUrl()), "bench").generic(ORDER);
    order = new GenericData.Record(ORDER);
    order.put("id", "order-000123");
    order.put("customer", "customer-7");
    order.put("amountCents", 12_345L);
    order.put("currency", "EUR");
    order.put("createdAt", 1_700_000_000_000L);
    framed = serde.serialize(order);
    serde.deserialize(framed);
    plain = avroEncode();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    server.close();
  }

  @Benchmark
  public byte[] serdeSerialize() {
    return serde.serialize(order);
  }

  @Benchmark
  public GenericRecord serdeDeserialize() {
    return serde.deserialize(framed);
  }

  /** Avro alone, reusing its encoder and buffer as a tuned caller would. */
  @Benchmark
  public byte[] avroEncode() throws IOException {
    out.reset();
    encoder = EncoderFactory.get().binaryEncoder(out, encoder);
    writer.write(order, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  /** Avro alone, reusing its decoder. */
  @Benchmark
  public GenericRecord avroDecode() throws IOException {
    decoder = DecoderFactory.get().binaryDecoder(plain, decoder);
    return reader.read(null, decoder);
  }
}
