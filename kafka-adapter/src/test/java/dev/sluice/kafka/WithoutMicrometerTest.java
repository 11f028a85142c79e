package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A service on Kafka that did not add Micrometer: the surefire execution {@code without-micrometer}
 * (kafka-adapter/pom.xml) runs this class alone with Micrometer off the class path. Opening the
 * backend and a producer loads every class that binds the clients' metrics when there is a
 * registry; nothing here needs a broker (the clients connect on first use).
 */
class WithoutMicrometerTest {

  @Test
  @DisplayName("the kafka backend and a producer open and close without Micrometer")
  void opensWithoutMicrometer() {
    assertThat(present("io.micrometer.core.instrument.MeterRegistry")).isFalse();
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("kafka")
            .set("sluice.kafka.bootstrap.servers", "127.0.0.1:9")
            .open()) {
      assertThat(sluice.backend()).isEqualTo("kafka");
      try (Producer<String, String> producer =
          sluice.producer("orders", Serde.string(), Serde.string())) {
        assertThat(producer).isNotNull();
      }
    }
  }

  private static boolean present(String className) {
    try {
      Class.forName(className, false, WithoutMicrometerTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
