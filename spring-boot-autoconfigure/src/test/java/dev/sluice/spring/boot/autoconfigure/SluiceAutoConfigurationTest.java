package dev.sluice.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities;
import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.spring.boot.SluiceBuilderCustomizer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

@DisplayName("The Sluice bean of a Spring Boot application")
class SluiceAutoConfigurationTest {
  private final String namespace = "boot-config-" + UUID.randomUUID();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  SluiceAutoConfiguration.class, SluiceHealthAutoConfiguration.class));

  /**
   * Environment variables as the process would have them, ranked where Boot ranks them (Boot maps
   * names the environment way in a source whose name ends with "systemEnvironment").
   */
  private static ApplicationContextRunner withVariables(
      ApplicationContextRunner runner, Map<String, Object> variables) {
    return runner.withInitializer(
        context ->
            context
                .getEnvironment()
                .getPropertySources()
                .addLast(
                    new SystemEnvironmentPropertySource(
                        "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        variables)));
  }

  @Test
  @DisplayName("is opened from the application's sluice.* properties")
  void openedFromProperties() {
    runner
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=" + namespace)
        .run(
            context -> {
              Sluice sluice = context.getBean(Sluice.class);
              assertThat(sluice.backend()).isEqualTo("memory");
              assertThat(sluice.configuration())
                  .containsEntry("sluice.memory.namespace", namespace);
            });
  }

  @Test
  @DisplayName("reads SLUICE_* environment variables, relaxed, below the application's properties")
  void environmentVariables() {
    withVariables(
            runner.withPropertyValues("sluice.memory.max.key.bytes=100"),
            Map.of(
                "SLUICE_BACKEND", "memory",
                "SLUICE_MEMORY_NAMESPACE", namespace,
                "SLUICE_MEMORY_MAX_KEY_BYTES", "200",
                "SLUICE_VERSION", "1.2.3"))
        .run(
            context -> {
              assertThat(context).hasNotFailed(); // SLUICE_VERSION is not Sluice's: ignored
              Map<String, String> settings = context.getBean(Sluice.class).configuration();
              assertThat(settings)
                  .containsEntry("sluice.backend", "memory")
                  .containsEntry("sluice.memory.namespace", namespace)
                  .containsEntry("sluice.memory.max.key.bytes", "100");
            });
  }

  @Test
  @DisplayName("fails at start on a misspelt sluice.* key, with Sluice's \"did you mean\"")
  void unknownKeyFails() {
    runner
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namepsace=" + namespace)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(SluiceException.class)
                  .hasMessageContaining("sluice.memory.namepsace")
                  .hasMessageContaining("did you mean")
                  .hasMessageContaining("sluice.memory.namespace");
            });
  }

  @Test
  @DisplayName("records its meters in the application's MeterRegistry")
  void metersInTheContextsRegistry() {
    runner
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=" + namespace)
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              Sluice sluice = context.getBean(Sluice.class);
              sluice.admin().createStream("orders", StreamSpec.withShards(1));
              try (Producer<String, String> producer =
                  sluice.producer("orders", Serde.string(), Serde.string())) {
                producer.send("k", "v").join();
              }
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(registry.find("sluice.send.records").tag("stream", "orders").counter())
                  .isNotNull()
                  .satisfies(counter -> assertThat(counter.count()).isEqualTo(1.0));
            });
  }

  @Test
  @DisplayName("observes sends and handler calls in the application's ObservationRegistry")
  void observationsInTheContextsRegistry() {
    List<String> observed = new CopyOnWriteArrayList<>();
    runner
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=" + namespace)
        .withBean(
            ObservationRegistry.class,
            () -> {
              ObservationRegistry registry = ObservationRegistry.create();
              registry
                  .observationConfig()
                  .observationHandler(
                      new ObservationHandler<Observation.Context>() {
                        @Override
                        public boolean supportsContext(Observation.Context context) {
                          return true;
                        }

                        @Override
                        public void onStop(Observation.Context context) {
                          observed.add(context.getContextualName());
                        }
                      });
              return registry;
            })
        .run(
            context -> {
              Sluice sluice = context.getBean(Sluice.class);
              sluice.admin().createStream("orders", StreamSpec.withShards(1));
              try (Producer<String, String> producer =
                  sluice.producer("orders", Serde.string(), Serde.string())) {
                producer.send("k", "v").join();
              }
              assertThat(observed).containsExactly("send orders");
            });
  }

  @Test
  @DisplayName("applies SluiceBuilderCustomizer beans, e.g. a required capability")
  void customizers() {
    runner
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=" + namespace)
        .withBean(
            SluiceBuilderCustomizer.class,
            () -> builder -> builder.require(Capabilities.Capability.TRANSACTIONS))
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Sluice.class));
  }

  @Test
  @DisplayName("backs off when the application declares its own Sluice bean")
  void ownSluiceBean() {
    runner
        .withBean(
            Sluice.class,
            () ->
                Sluice.builder()
                    .ignoreEnvironment()
                    .backend("memory")
                    .set("sluice.memory.namespace", namespace)
                    .open())
        .run(
            context ->
                assertThat(context.getBean(Sluice.class).configuration())
                    .containsEntry("sluice.memory.namespace", namespace));
  }
}
