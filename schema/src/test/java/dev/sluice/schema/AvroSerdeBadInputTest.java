package dev.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.time.Duration;
import org.apache.avro.generic.GenericRecord;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Bad configuration and bad bytes fail with a typed error before any registry call. The registry
 * here is a port nothing listens on: a call to it would be UNAVAILABLE, not the codes asserted.
 */
class AvroSerdeBadInputTest {
  private final SchemaRegistry nowhere = SchemaRegistry.at("http://127.0.0.1:9/apis/ccompat/v7/");

  @Test
  @DisplayName("a registry URL that is missing, not http(s), or a timeout that is not positive")
  void badRegistryConfiguration() {
    assertCode(() -> SchemaRegistry.at(""), ErrorCode.INVALID_CONFIG);
    assertCode(() -> SchemaRegistry.at("ftp://registry/"), ErrorCode.INVALID_CONFIG);
    assertCode(() -> SchemaRegistry.at("not a url"), ErrorCode.INVALID_CONFIG);
    assertCode(
        () -> SchemaRegistry.at("http://registry:8081", Duration.ZERO), ErrorCode.INVALID_ARGUMENT);
    assertThat(nowhere.url()).isEqualTo("http://127.0.0.1:9/apis/ccompat/v7");
  }

  @Test
  @DisplayName("subjects follow TopicNameStrategy; a blank stream or a null registry is refused")
  void subjects() {
    assertThat(AvroSerde.forStream(nowhere, "orders").subject()).isEqualTo("orders-value");
    assertThat(AvroSerde.forStream(nowhere, "orders").forKeys().subject()).isEqualTo("orders-key");
    assertCode(() -> AvroSerde.forStream(nowhere, " "), ErrorCode.INVALID_ARGUMENT);
    assertCode(() -> AvroSerde.forStream(null, "orders"), ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  @DisplayName("bytes too short or without the magic byte are SERIALIZATION, with no registry call")
  void bytesNotInTheWireFormat() {
    Serde<GenericRecord> serde = AvroSerde.forStream(nowhere, "orders").generic(null);

    assertCode(() -> serde.deserialize(new byte[] {0, 0, 0}), ErrorCode.SERIALIZATION);
    assertCode(() -> serde.deserialize(new byte[] {1, 0, 0, 0, 1, 2}), ErrorCode.SERIALIZATION);
  }

  @Test
  @DisplayName("an unreachable registry is a retryable UNAVAILABLE naming the registry")
  void unreachableRegistry() {
    Serde<GenericRecord> serde = AvroSerde.forStream(nowhere, "orders").generic(null);

    assertThatThrownBy(() -> serde.serialize(Schemas.orderV1("a", 1)))
        .isInstanceOfSatisfying(
            SluiceException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.isRetryable()).isTrue();
            })
        .hasMessageContaining("127.0.0.1:9");
  }

  private static void assertCode(ThrowingCallable call, ErrorCode code) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.code()).isEqualTo(code));
  }
}
