package dev.sluice.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Declaring listeners and streams as beans")
class SluiceListenerTest {

  private static void invalid(Runnable declaration, String named) {
    assertThatThrownBy(declaration::run)
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(named);
  }

  @Test
  @DisplayName("a missing stream, serde, group or handler is INVALID_ARGUMENT naming it")
  void badDeclarations() {
    invalid(() -> SluiceListener.on(null, Serde.string(), Serde.string()), "stream");
    invalid(() -> SluiceListener.on("s", null, Serde.string()), "keySerde");
    invalid(() -> SluiceListener.on("s", Serde.string(), null), "valueSerde");
    invalid(() -> SluiceListener.on("s", Serde.string(), Serde.string()).group(null), "group");
    invalid(() -> SluiceListener.on("s", Serde.string(), Serde.string()).handler(null), "handler");
    invalid(() -> NewStream.of(" ", StreamSpec.withShards(1)), "name");
    invalid(() -> NewStream.of("s", null), "spec");
  }

  @Test
  @DisplayName("the group is the bean's name unless one is named; standalone has none")
  void groups() {
    assertThat(SluiceListener.on("s", Serde.string(), Serde.string()).handler(r -> {}).group("b"))
        .isEqualTo("b");
    assertThat(
            SluiceListener.on("s", Serde.string(), Serde.string())
                .group("billing")
                .handler(r -> {})
                .group("b"))
        .isEqualTo("billing");
    assertThat(
            SluiceListener.on("s", Serde.string(), Serde.string())
                .standalone()
                .handler(r -> {})
                .group("b"))
        .isNull();
  }

  @Test
  @DisplayName("a configure function that returns null fails the start, naming the listener")
  void configureReturningNull() {
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", "listener-" + UUID.randomUUID())
            .open()) {
      sluice.admin().createStream("s", StreamSpec.withShards(1));
      SluiceListener<String, String> listener =
          SluiceListener.on("s", Serde.string(), Serde.string())
              .configure(builder -> null)
              .handler(r -> {});
      invalid(() -> listener.start(sluice, "billing"), "'billing'");
    }
  }
}
