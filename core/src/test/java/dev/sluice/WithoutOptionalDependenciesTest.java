package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A service that added neither Jackson nor Micrometer: the surefire execution {@code
 * without-optional-dependencies} (core/pom.xml) runs this class alone with both taken off the class
 * path.
 */
class WithoutOptionalDependenciesTest {

  @Test
  @DisplayName("the test runs as such a service would: neither Jackson nor Micrometer is there")
  void theOptionalLibrariesAreAbsent() {
    assertThat(present("com.fasterxml.jackson.databind.ObjectMapper")).isFalse();
    assertThat(present("io.micrometer.core.instrument.MeterRegistry")).isFalse();
    assertThat(present("io.micrometer.observation.ObservationRegistry")).isFalse();
  }

  @Test
  @DisplayName("producing and consuming works with the built-in serdes and no meter registry")
  void roundTripWithoutOptionalLibraries() throws Exception {
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", "without-optional-dependencies")
            .open()) {
      sluice.admin().createStream("orders", StreamSpec.withShards(2));
      try (Producer<String, String> producer =
          sluice.producer("orders", Serde.string(), Serde.string())) {
        producer.send("customer-7", "order #1").get(10, TimeUnit.SECONDS);
        producer.send("customer-7", "order #2").get(10, TimeUnit.SECONDS);
      }
      List<String> received = new CopyOnWriteArrayList<>();
      CountDownLatch both = new CountDownLatch(2);
      try (Consumer<String, String> consumer =
          sluice
              .consumer("orders", Serde.string(), Serde.string())
              .group("billing")
              .startPosition(StartPosition.earliest())
              .start(
                  record -> {
                    received.add(record.value());
                    both.countDown();
                  })) {
        assertThat(both.await(10, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(received).containsExactly("order #1", "order #2");
    }
  }

  @Test
  @DisplayName("Serde.json fails with INVALID_CONFIG naming the Jackson artifact to add")
  void jsonSerdeNamesTheMissingArtifact() {
    assertThatThrownBy(() -> Serde.json(Order.class))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("com.fasterxml.jackson.core:jackson-databind");
  }

  /** A type a service would send as JSON. */
  record Order(String id) {}

  private static boolean present(String className) {
    try {
      Class.forName(className, false, WithoutOptionalDependenciesTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
