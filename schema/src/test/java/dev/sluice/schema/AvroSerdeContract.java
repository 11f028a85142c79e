package dev.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.SchemaRegistryServer;
import dev.sluice.testkit.RecordCollector;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the Avro serdes promise on every backend, against a real registry (Apicurio Registry, its
 * Confluent-compatible API). A subclass opens a {@link Sluice} on its backend.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class AvroSerdeContract {
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  static SchemaRegistryServer server;
  static SchemaRegistry registry;
  static RegistryHttp registryHttp;

  Sluice sluice;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** A Sluice on the backend under test. */
  abstract Sluice openSluice();

  @BeforeAll
  static void startRegistry() {
    server = SchemaRegistryServer.shared();
    registry = SchemaRegistry.at(server.confluentApiUrl());
    registryHttp = new RegistryHttp(server.confluentApiUrl());
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
    String name = "orders-" + UUID.randomUUID().toString().substring(0, 8);
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

  @Test
  @DisplayName("generic records round trip, framed with the id the registry gave their schema")
  void genericRoundTrip() throws Exception {
    String stream = stream();
    Serde<GenericRecord> serde = AvroSerde.forStream(registry, stream).generic(Schemas.ORDER_V1);
    Producer<String, GenericRecord> producer =
        track(sluice.producer(stream, Serde.string(), serde));
    for (int i = 0; i < 3; i++) {
      producer.send("k" + i, Schemas.orderV1("o" + i, 100 + i)).get(30, TimeUnit.SECONDS);
    }

    List<Record<String, GenericRecord>> got = read(stream, serde, 3);

    assertThat(got)
        .extracting(r -> r.value().get("id").toString() + "=" + r.value().get("amount"))
        .containsExactly("o0=100", "o1=101", "o2=102");
    int registered = registryHttp.latestId(stream + "-value");
    PlainConfluentDecoder plain = new PlainConfluentDecoder(registryHttp);
    for (Record<byte[], byte[]> raw : readBytes(stream, 3)) {
      assertThat(PlainConfluentDecoder.schemaId(raw.value())).isEqualTo(registered);
      GenericRecord decoded = plain.decode(raw.value());
      assertThat(decoded.get("id").toString()).startsWith("o");
      assertThat(new String(raw.key(), StandardCharsets.UTF_8)).startsWith("k");
    }
  }

  @Test
  @DisplayName("specific records round trip, keys through the <stream>-key subject")
  void specificRoundTripWithAvroKeys() throws Exception {
    String stream = stream();
    Serde<Greeting> keys = AvroSerde.forStream(registry, stream).forKeys().specific(Greeting.class);
    Serde<Greeting> values = AvroSerde.forStream(registry, stream).specific(Greeting.class);
    Producer<Greeting, Greeting> producer = track(sluice.producer(stream, keys, values));
    producer.send(new Greeting("key", 1), new Greeting("hello", 2)).get(30, TimeUnit.SECONDS);

    Record<Greeting, Greeting> got =
        track(RecordCollector.of(sluice, stream, keys, values)).awaitCount(1, TIMEOUT).get(0);

    assertThat(got.key().text()).isEqualTo("key");
    assertThat(got.value().text()).isEqualTo("hello");
    assertThat(got.value().count()).isEqualTo(2);
    assertThat(registryHttp.latestId(stream + "-key")).isPositive();
    assertThat(registryHttp.latestId(stream + "-value")).isPositive();
  }

  @Test
  @DisplayName(
      "an optional field added under BACKWARD: readers on the old and on the new schema read both")
  void schemaEvolution() throws Exception {
    String stream = stream();
    String subject = stream + "-value";
    Producer<String, GenericRecord> v1 =
        track(
            sluice.producer(
                stream, Serde.string(), AvroSerde.forStream(registry, stream).generic(null)));
    v1.send("a", Schemas.orderV1("old", 1)).get(30, TimeUnit.SECONDS);
    registryHttp.setCompatibility(subject, "BACKWARD");
    Producer<String, GenericRecord> v2 =
        track(
            sluice.producer(
                stream, Serde.string(), AvroSerde.forStream(registry, stream).generic(null)));
    v2.send("b", Schemas.orderV2("new", 2, "gift")).get(30, TimeUnit.SECONDS);

    List<Record<String, GenericRecord>> oldReader =
        read(stream, AvroSerde.forStream(registry, stream).generic(Schemas.ORDER_V1), 2);
    List<Record<String, GenericRecord>> newReader =
        read(stream, AvroSerde.forStream(registry, stream).generic(Schemas.ORDER_V2), 2);

    assertThat(oldReader).extracting(r -> r.value().getSchema()).containsOnly(Schemas.ORDER_V1);
    assertThat(oldReader)
        .extracting(r -> r.value().get("id").toString())
        .containsExactly("old", "new");
    assertThat(newReader)
        .extracting(r -> r.value().get("id") + "/" + r.value().get("note"))
        .containsExactly("old/null", "new/gift");
  }

  @Test
  @DisplayName("an incompatible change is refused by the registry, with its reason, before sending")
  void incompatibleChangeRefused() throws Exception {
    String stream = stream();
    String subject = stream + "-value";
    Serde<GenericRecord> serde = AvroSerde.forStream(registry, stream).generic(null);
    Producer<String, GenericRecord> producer =
        track(sluice.producer(stream, Serde.string(), serde));
    producer.send("a", Schemas.orderV1("first", 1)).get(30, TimeUnit.SECONDS);
    registryHttp.setCompatibility(subject, "BACKWARD");

    assertThatThrownBy(
            () -> producer.send("b", Schemas.incompatible("second")).get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("incompatible")
        .hasMessageContaining(subject)
        .hasMessageContaining("currency");
    assertThat(readBytes(stream, 1)).hasSize(1);
  }

  @Test
  @DisplayName(
      "with auto-registration off, a schema the registry lacks is refused; one it has is used")
  void autoRegistrationOff() throws Exception {
    String stream = stream();
    Serde<GenericRecord> strict =
        AvroSerde.forStream(registry, stream).autoRegister(false).generic(null);
    Producer<String, GenericRecord> producer =
        track(sluice.producer(stream, Serde.string(), strict));

    assertThatThrownBy(() -> producer.send("a", Schemas.orderV1("x", 1)).get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("auto-registration is off");

    // Registered by someone else (here another serde with auto-registration on): now it is used.
    AvroSerde.forStream(registry, stream).generic(null).serialize(Schemas.orderV1("y", 2));
    producer.send("b", Schemas.orderV1("z", 3)).get(30, TimeUnit.SECONDS);
    assertThat(
            read(stream, AvroSerde.forStream(registry, stream).generic(null), 1)
                .get(0)
                .value()
                .get("id")
                .toString())
        .isEqualTo("z");
  }

  @Test
  @DisplayName(
      "while the registry is unreachable a record is retried, then dead-lettered with its raw"
          + " bytes, which read back once the registry is there")
  void registryOutageLosesNothing() throws Exception {
    String stream = stream();
    String deadLetters = stream();
    Serde<GenericRecord> serde = AvroSerde.forStream(registry, stream).generic(null);
    track(sluice.producer(stream, Serde.string(), serde))
        .send("a", Schemas.orderV1("kept", 7))
        .get(30, TimeUnit.SECONDS);
    byte[] written = readBytes(stream, 1).get(0).value();

    SchemaRegistry unreachable =
        SchemaRegistry.at("http://127.0.0.1:" + closedPort() + "/apis/ccompat/v7");
    RecordCollector<String, GenericRecord> failing =
        track(
            RecordCollector.of(
                sluice
                    .consumer(
                        stream,
                        Serde.string(),
                        AvroSerde.forStream(unreachable, stream).generic(null))
                    .failurePolicy(
                        FailurePolicy.retry(3, Duration.ofMillis(10), Duration.ofMillis(50))
                            .thenDeadLetter(deadLetters))));

    Record<byte[], byte[]> dead = readBytes(deadLetters, 1).get(0);
    assertThat(failing.records()).isEmpty();
    assertThat(dead.value()).isEqualTo(written);
    assertThat(dead.headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .contains("UNAVAILABLE")
        .contains("unreachable");
    assertThat(serde.deserialize(dead.value()).get("id").toString()).isEqualTo("kept");
  }

  @Test
  @DisplayName(
      "a consumer sends records it cannot read (unknown id, a reader schema the writer's cannot"
          + " resolve into) through its failure policy, raw bytes kept, and reads the rest")
  void unreadableRecordsGoThroughTheFailurePolicy() throws Exception {
    String stream = stream();
    String deadLetters = stream();
    byte[] unknownId = {0, 0x7f, (byte) 0xff, (byte) 0xff, 0x11, 2, 'x'};
    track(sluice.producer(stream))
        .send("u".getBytes(StandardCharsets.UTF_8), unknownId)
        .get(30, TimeUnit.SECONDS);
    track(
            sluice.producer(
                stream, Serde.string(), AvroSerde.forStream(registry, stream).generic(null)))
        .send("v1", Schemas.orderV1("old", 1))
        .get(30, TimeUnit.SECONDS);
    track(
            sluice.producer(
                stream, Serde.string(), AvroSerde.forStream(registry, stream).generic(null)))
        .send("v3", Schemas.incompatible("new"))
        .get(30, TimeUnit.SECONDS);

    RecordCollector<String, GenericRecord> reader =
        track(
            RecordCollector.of(
                sluice
                    .consumer(
                        stream,
                        Serde.string(),
                        AvroSerde.forStream(registry, stream).generic(Schemas.ORDER_INCOMPATIBLE))
                    .failurePolicy(
                        FailurePolicy.retry(2, Duration.ofMillis(10), Duration.ofMillis(50))
                            .thenDeadLetter(deadLetters))));

    List<Record<byte[], byte[]>> dead = readBytes(deadLetters, 2);
    assertThat(dead.get(0).value()).isEqualTo(unknownId);
    assertThat(dead.get(0).headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .contains("SERIALIZATION")
        .contains("schema id 2147483409");
    assertThat(dead.get(1).headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .contains("SERIALIZATION")
        .contains("currency");
    assertThat(reader.awaitCount(1, TIMEOUT))
        .extracting(r -> r.value().get("id") + "/" + r.value().get("currency"))
        .containsExactly("new/EUR");
  }

  @Test
  @DisplayName("an unknown schema id, or bytes not in the wire format, fail as SERIALIZATION")
  void unknownIdAndForeignBytes() {
    String stream = stream();
    Serde<GenericRecord> serde = AvroSerde.forStream(registry, stream).generic(null);

    assertThatThrownBy(
            () -> serde.deserialize(new byte[] {0, 0x7f, (byte) 0xff, (byte) 0xff, 0x10, 2}))
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("schema id 2147483408");
    assertThatThrownBy(() -> serde.deserialize("{\"json\":1}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("magic byte");
  }

  /** A loopback port nothing listens on: bound, then released. */
  static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
