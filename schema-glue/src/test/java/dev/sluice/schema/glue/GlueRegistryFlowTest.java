package dev.sluice.schema.glue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The registry side of the Glue serdes through AWS's library and the AWS SDK's Glue client, against
 * {@link GlueStandIn} (a loopback stand-in: no open-source Glue server exists): the local cache,
 * the error codes, the configuration. Each test has its own stand-in.
 */
class GlueRegistryFlowTest {

  @Test
  @DisplayName(
      "with the registry gone, schemas already used keep writing and reading from the local cache;"
          + " a new one fails UNAVAILABLE, retryable")
  void localCacheOutlivesAnOutage() throws Exception {
    GlueStandIn standIn = new GlueStandIn();
    GlueSchemaRegistry registry = standIn.registry(Compression.NONE);
    Serde<GenericRecord> serde = GlueAvroSerde.forStream(registry, "cached").generic(null);
    byte[] first = serde.serialize(Schemas.orderV1("a", 1));
    assertThat(serde.deserialize(first).get("id").toString()).isEqualTo("a");
    int calls = standIn.calls().size();
    standIn.close();

    byte[] second = serde.serialize(Schemas.orderV1("b", 2));
    assertThat(serde.deserialize(second).get("id").toString()).isEqualTo("b");
    assertThat(GlueAvroSerde.forStream(registry, "cached").generic(null).deserialize(first))
        .extracting(r -> r.get("id").toString())
        .isEqualTo("a");
    assertThat(standIn.calls()).hasSize(calls);
    assertThatThrownBy(() -> serde.serialize(Schemas.orderV2("c", 3, "new schema")))
        .isInstanceOf(SluiceException.class)
        .satisfies(
            e -> {
              assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(((SluiceException) e).isRetryable()).isTrue();
            })
        .hasMessageContaining("unreachable");
  }

  @Test
  @DisplayName("Glue's AccessDeniedException is PERMISSION_DENIED, with Glue's words")
  void accessDenied() throws Exception {
    try (GlueStandIn standIn = new GlueStandIn()) {
      standIn.refuseAll(
          "AccessDeniedException", "User is not authorized to perform: glue:GetSchemaByDefinition");
      Serde<GenericRecord> serde =
          GlueAvroSerde.forStream(standIn.registry(Compression.NONE), "denied").generic(null);

      assertThatThrownBy(() -> serde.serialize(Schemas.orderV1("a", 1)))
          .isInstanceOf(SluiceException.class)
          .satisfies(
              e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
          .hasMessageContaining("glue:GetSchemaByDefinition");
    }
  }

  @Test
  @DisplayName("an unknown schema-version UUID, or bytes not in Glue's format, fail SERIALIZATION")
  void unknownVersionAndForeignBytes() throws Exception {
    try (GlueStandIn standIn = new GlueStandIn()) {
      Serde<GenericRecord> serde =
          GlueAvroSerde.forStream(standIn.registry(Compression.NONE), "unknown").generic(null);
      UUID missing = UUID.randomUUID();
      byte[] unknown =
          ByteBuffer.allocate(20)
              .put((byte) 3)
              .put((byte) 0)
              .putLong(missing.getMostSignificantBits())
              .putLong(missing.getLeastSignificantBits())
              .put((byte) 2)
              .put((byte) 'x')
              .array();

      assertThatThrownBy(() -> serde.deserialize(unknown))
          .isInstanceOf(SluiceException.class)
          .satisfies(
              e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
          .hasMessageContaining(missing.toString());
      assertThatThrownBy(() -> serde.deserialize("{\"json\":1}".getBytes(StandardCharsets.UTF_8)))
          .isInstanceOf(SluiceException.class)
          .satisfies(
              e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.SERIALIZATION))
          .hasMessageContaining("Glue's wire format");
    }
  }

  @Test
  @DisplayName("properties configure a registry; a misspelled key or a missing region is refused")
  void properties() throws Exception {
    try (GlueStandIn standIn = new GlueStandIn()) {
      GlueSchemaRegistry registry =
          GlueSchemaRegistry.fromProperties(
              Map.of(
                  "sluice.glue.region", GlueStandIn.REGION,
                  "sluice.glue.endpoint", standIn.endpoint(),
                  "sluice.glue.registry.name", "from-properties",
                  "sluice.glue.compression", "zlib",
                  "sluice.glue.access.key.id", "test",
                  "sluice.glue.secret.access.key", "test",
                  "other.key", "ignored"));
      byte[] bytes =
          GlueAvroSerde.forStream(registry, "props")
              .generic(null)
              .serialize(Schemas.orderV1("p", 1));

      assertThat(registry.registryName()).isEqualTo("from-properties");
      assertThat(bytes[1]).isEqualTo((byte) 5);
      assertThatThrownBy(
              () ->
                  GlueSchemaRegistry.fromProperties(
                      Map.of("sluice.glue.region", "eu-west-1", "sluice.glue.regsitry.name", "x")))
          .isInstanceOf(SluiceException.class)
          .satisfies(
              e -> assertThat(((SluiceException) e).code()).isEqualTo(ErrorCode.INVALID_CONFIG))
          .hasMessageContaining("sluice.glue.regsitry.name");
      assertThatThrownBy(() -> GlueSchemaRegistry.fromProperties(Map.of()))
          .isInstanceOf(SluiceException.class)
          .hasMessageContaining("region");
    }
  }
}
