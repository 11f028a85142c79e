package dev.sluice.testbrokers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The Kafka broker extension")
class KafkaBrokerExtensionIT {

  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static KafkaBroker staticField;
  private static KafkaBroker seenInBeforeAll;

  private final KafkaBroker fromConstructor;
  private KafkaBroker instanceField;

  KafkaBrokerExtensionIT(KafkaBroker fromConstructor) {
    this.fromConstructor = fromConstructor;
  }

  @BeforeAll
  static void rememberStaticField(KafkaBroker fromBeforeAll) {
    assertThat(fromBeforeAll).isSameAs(staticField);
    seenInBeforeAll = staticField;
  }

  @Test
  @DisplayName("hands the same running broker to fields, constructors and methods")
  void injectsOneRunningBroker(KafkaBroker fromMethod) {
    assertThat(fromMethod.isRunning()).isTrue();
    assertThat(fromMethod)
        .isSameAs(fromConstructor)
        .isSameAs(instanceField)
        .isSameAs(staticField)
        .isSameAs(seenInBeforeAll);
  }

  @Nested
  @DisplayName("in a nested class")
  class InANestedClass {
    private KafkaBroker nestedField;

    @Test
    @DisplayName("hands over the same broker")
    void injectsTheSameBroker(KafkaBroker fromMethod) {
      assertThat(nestedField).isSameAs(fromMethod).isSameAs(fromConstructor);
    }
  }
}
