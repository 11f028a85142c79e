package dev.sluice.schema.glue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryDeserializerDataParser;
import com.google.protobuf.DynamicMessage;
import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.testkit.RecordCollector;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the Glue serdes promise on every backend. The registry is {@link GlueStandIn}, a loopback
 * STAND-IN for Glue's API (no open-source Glue server exists), so AWS's library makes its real
 * calls (GetSchemaByDefinition, CreateSchema, RegisterSchemaVersion, GetSchemaVersion) through the
 * AWS SDK's Glue client. A subclass opens a {@link Sluice} on its backend.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class GlueSerdeContract {
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  static GlueStandIn standIn;
  static GlueSchemaRegistry registry;

  Sluice sluice;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** A Sluice on the backend under test. */
  abstract Sluice openSluice();

  @BeforeAll
  static void startStandIn() throws Exception {
    standIn = new GlueStandIn();
    registry = standIn.registry(Compression.ZLIB);
  }

  @AfterAll
  static void stopStandIn() {
    standIn.close();
  }

  @BeforeEach
  void open() {
    sluice = openSluice();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    if (sluice != null) {
      sluice.close();
    }
  }

  String stream() {
    String name = "glue-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(name, StreamSpec.withShards(1));
    return name;
  }

  <T extends AutoCloseable> T track(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  <V> List<Record<String, V>> read(String stream, Serde<V> values, int count) {
    return track(RecordCollector.of(sluice, stream, Serde.string(), values))
        .awaitCount(count, TIMEOUT);
  }

  List<Record<byte[], byte[]>> readBytes(String stream, int count) {
    return track(RecordCollector.of(sluice, stream)).awaitCount(count, TIMEOUT);
  }

  static UUID versionIn(byte[] value) {
    return GlueSchemaRegistryDeserializerDataParser.getInstance()
        .getSchemaVersionId(ByteBuffer.wrap(value));
  }

  @Test
  @DisplayName(
      "generic records round trip; the schema is created once, then served from the local cache,"
          + " and every value carries its schema-version UUID in Glue's header")
  void genericRoundTrip() throws Exception {
    String stream = stream();
    int before = standIn.calls().size();
    Serde<GenericRecord> serde =
        GlueAvroSerde.forStream(registry, stream).generic(Schemas.ORDER_V1);
    Producer<String, GenericRecord> producer =
        track(sluice.producer(stream, Serde.string(), serde));
    for (int i = 0; i < 3; i++) {
      producer.send("k" + i, Schemas.orderV1("o" + i, 100 + i)).get(30, TimeUnit.SECONDS);
    }

    List<Record<String, GenericRecord>> got = read(stream, serde, 3);

    assertThat(got)
        .extracting(r -> r.value().get("id").toString() + "=" + r.value().get("amount"))
        .containsExactly("o0=100", "o1=101", "o2=102");
    // One lookup (not found), one creation (the library then tags the version with the stream
    // name), one fetch by UUID for the reader: not one per record.
    assertThat(standIn.calls().subList(before, standIn.calls().size()))
        .containsExactly(
            "GetSchemaByDefinition",
            "CreateSchema",
            "PutSchemaVersionMetadata",
            "GetSchemaVersion");
    List<Record<byte[], byte[]>> raw = readBytes(stream, 3);
    assertThat(raw).extracting(r -> r.value()[0]).containsOnly((byte) 3);
    assertThat(raw).extracting(r -> r.value()[1]).containsOnly((byte) 5);
    assertThat(raw)
        .extracting(r -> versionIn(r.value()))
        .hasSize(3)
        .containsOnly(versionIn(raw.get(0).value()));
  }

  @Test
  @DisplayName("specific records round trip, keys under the <stream>-key schema")
  void specificRoundTripWithAvroKeys() throws Exception {
    String stream = stream();
    Serde<Greeting> keys =
        GlueAvroSerde.forStream(registry, stream).forKeys().specific(Greeting.class);
    Serde<Greeting> values = GlueAvroSerde.forStream(registry, stream).specific(Greeting.class);
    Producer<Greeting, Greeting> producer = track(sluice.producer(stream, keys, values));
    producer.send(new Greeting("key", 1), new Greeting("hello", 2)).get(30, TimeUnit.SECONDS);

    Record<Greeting, Greeting> got =
        track(RecordCollector.of(sluice, stream, keys, values)).awaitCount(1, TIMEOUT).get(0);

    assertThat(got.key().text()).isEqualTo("key");
    assertThat(got.value().text()).isEqualTo("hello");
    assertThat(got.value().count()).isEqualTo(2);
    assertThat(GlueAvroSerde.forStream(registry, stream).forKeys().schemaName())
        .isEqualTo(stream + "-key");
  }

  @Test
  @DisplayName("Protobuf messages round trip in Glue's framing")
  void protobufRoundTrip() throws Exception {
    String stream = stream();
    Serde<DynamicMessage> serde =
        GlueProtobufSerde.forStream(registry, stream)
            .message(DynamicMessage.getDefaultInstance(Schemas.PROTO_ORDER));
    track(sluice.producer(stream, Serde.string(), serde))
        .send("p", Schemas.protoOrder("proto-1", 9))
        .get(30, TimeUnit.SECONDS);

    DynamicMessage got = read(stream, serde, 1).get(0).value();

    assertThat(got.getField(Schemas.PROTO_ORDER.findFieldByName("id"))).isEqualTo("proto-1");
    assertThat(got.getField(Schemas.PROTO_ORDER.findFieldByName("amount"))).isEqualTo(9L);
    assertThat(readBytes(stream, 1).get(0).value()[0]).isEqualTo((byte) 3);
  }

  @Test
  @DisplayName(
      "an optional field added (BACKWARD, checked by the registry): readers on the old and on the"
          + " new schema read both versions")
  void schemaEvolution() throws Exception {
    String stream = stream();
    Serde<GenericRecord> writer = GlueAvroSerde.forStream(registry, stream).generic(null);
    Producer<String, GenericRecord> producer =
        track(sluice.producer(stream, Serde.string(), writer));
    producer.send("a", Schemas.orderV1("old", 1)).get(30, TimeUnit.SECONDS);
    producer.send("b", Schemas.orderV2("new", 2, "gift")).get(30, TimeUnit.SECONDS);

    List<Record<String, GenericRecord>> oldReader =
        read(stream, GlueAvroSerde.forStream(registry, stream).generic(Schemas.ORDER_V1), 2);
    List<Record<String, GenericRecord>> newReader =
        read(stream, GlueAvroSerde.forStream(registry, stream).generic(Schemas.ORDER_V2), 2);

    assertThat(standIn.calls()).contains("RegisterSchemaVersion");
    assertThat(oldReader).extracting(r -> r.value().getSchema()).containsOnly(Schemas.ORDER_V1);
    assertThat(oldReader)
        .extracting(r -> r.value().get("id").toString())
        .containsExactly("old", "new");
    assertThat(newReader)
        .extracting(r -> r.value().get("id") + "/" + r.value().get("note"))
        .containsExactly("old/null", "new/gift");
  }

  @Test
  @DisplayName("an incompatible change is refused by the registry before anything is sent")
  void incompatibleChangeRefused() throws Exception {
    String stream = stream();
    Producer<String, GenericRecord> producer =
        track(
            sluice.producer(
                stream, Serde.string(), GlueAvroSerde.forStream(registry, stream).generic(null)));
    producer.send("a", Schemas.orderV1("first", 1)).get(30, TimeUnit.SECONDS);

    assertThatThrownBy(
            () -> producer.send("b", Schemas.incompatible("second")).get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("incompatible")
        .hasMessageContaining(stream);
    assertThat(readBytes(stream, 1)).hasSize(1);
  }

  @Test
  @DisplayName(
      "with auto-registration off, a schema the registry lacks is refused; one it has is used")
  void autoRegistrationOff() throws Exception {
    String stream = stream();
    Producer<String, GenericRecord> producer =
        track(
            sluice.producer(
                stream,
                Serde.string(),
                GlueAvroSerde.forStream(registry, stream).autoRegister(false).generic(null)));

    assertThatThrownBy(() -> producer.send("a", Schemas.orderV1("x", 1)).get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("auto-registration is off");

    GlueAvroSerde.forStream(registry, stream).generic(null).serialize(Schemas.orderV1("y", 2));
    producer.send("b", Schemas.orderV1("z", 3)).get(30, TimeUnit.SECONDS);
    assertThat(
            read(stream, GlueAvroSerde.forStream(registry, stream).generic(null), 1)
                .get(0)
                .value()
                .get("id")
                .toString())
        .isEqualTo("z");
  }

  @Test
  @DisplayName(
      "records the consumer cannot read (an unknown UUID; the registry down) go through its failure"
          + " policy: dead-lettered with their raw bytes, which read back once the registry is there")
  void unreadableRecordsAreDeadLettered() throws Exception {
    String stream = stream();
    String deadLetters = stream();
    String deadLettersDown = stream();
    ByteBuffer unknown = ByteBuffer.allocate(18 + 2);
    UUID missing = UUID.randomUUID();
    unknown.put((byte) 3).put((byte) 0);
    unknown.putLong(missing.getMostSignificantBits()).putLong(missing.getLeastSignificantBits());
    unknown.put((byte) 2).put((byte) 'x');
    track(sluice.producer(stream))
        .send("u".getBytes(StandardCharsets.UTF_8), unknown.array())
        .get(30, TimeUnit.SECONDS);
    Serde<GenericRecord> serde = GlueAvroSerde.forStream(registry, stream).generic(null);
    track(sluice.producer(stream, Serde.string(), serde))
        .send("k", Schemas.orderV1("kept", 7))
        .get(30, TimeUnit.SECONDS);
    byte[] written = readBytes(stream, 2).get(1).value();

    RecordCollector<String, GenericRecord> reader =
        track(
            RecordCollector.of(
                sluice
                    .consumer(
                        stream,
                        Serde.string(),
                        GlueAvroSerde.forStream(registry, stream).generic(null))
                    .failurePolicy(
                        FailurePolicy.retry(2, Duration.ofMillis(10), Duration.ofMillis(50))
                            .thenDeadLetter(deadLetters))));
    Record<byte[], byte[]> dead = readBytes(deadLetters, 1).get(0);
    assertThat(dead.value()).isEqualTo(unknown.array());
    assertThat(dead.headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .contains("SERIALIZATION")
        .contains(missing.toString());
    assertThat(reader.awaitCount(1, TIMEOUT))
        .extracting(r -> r.value().get("id").toString())
        .containsExactly("kept");

    GlueSchemaRegistry down =
        GlueSchemaRegistry.builder()
            .region(GlueStandIn.REGION)
            .endpoint("http://127.0.0.1:" + closedPort())
            .registryName("sluice-tests")
            .staticCredentials("test", "test")
            .build();
    RecordCollector<String, GenericRecord> failing =
        track(
            RecordCollector.of(
                sluice
                    .consumer(
                        stream, Serde.string(), GlueAvroSerde.forStream(down, stream).generic(null))
                    .failurePolicy(
                        FailurePolicy.retry(2, Duration.ofMillis(10), Duration.ofMillis(50))
                            .thenDeadLetter(deadLettersDown))));
    List<Record<byte[], byte[]>> deadDown = readBytes(deadLettersDown, 2);
    assertThat(failing.records()).isEmpty();
    assertThat(deadDown.get(1).value()).isEqualTo(written);
    assertThat(deadDown.get(1).headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .contains("UNAVAILABLE")
        .contains("unreachable");
    assertThat(serde.deserialize(deadDown.get(1).value()).get("id").toString()).isEqualTo("kept");
  }

  /** A loopback port nothing listens on: bound, then released. */
  static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
