package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.Sluice;
import dev.sluice.spring.boot.NewStream;
import dev.sluice.spring.boot.SluiceBuilderCustomizer;
import dev.sluice.spring.boot.SluiceListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * A {@link Sluice} bean opened from the {@code sluice.*} properties, recording its meters in the
 * application's {@link MeterRegistry} and tracing through its {@link ObservationRegistry} when
 * there is one, and a {@link SluiceListenerContainer} that runs the {@link SluiceListener} beans.
 */
@AutoConfiguration
@ConditionalOnClass(Sluice.class)
@EnableConfigurationProperties(SluiceProperties.class)
public class SluiceAutoConfiguration {

  /** Created by Spring. */
  public SluiceAutoConfiguration() {}

  /**
   * The Sluice instance: every {@code sluice.*} key of the environment, then the customizers. Only
   * Boot's Environment is read (it already holds the system properties and the {@code SLUICE_*}
   * environment variables, ranked the Boot way).
   *
   * @param environment the application's environment
   * @param customizers the {@link SluiceBuilderCustomizer} beans, in order
   * @return the opened Sluice, closed with the context
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public Sluice sluice(
      Environment environment, ObjectProvider<SluiceBuilderCustomizer> customizers) {
    Sluice.Builder builder =
        Sluice.builder().ignoreEnvironment().properties(SluiceEnvironment.settings(environment));
    customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
    return builder.open();
  }

  /**
   * Starts the listener beans once the context is refreshed and closes them on shutdown.
   *
   * @param sluice the Sluice bean
   * @param listeners the {@link SluiceListener} beans by name
   * @param streams the {@link NewStream} beans
   * @return the container
   */
  @Bean
  @ConditionalOnMissingBean
  public SluiceListenerContainer sluiceListenerContainer(
      Sluice sluice,
      Map<String, SluiceListener<?, ?>> listeners,
      ObjectProvider<NewStream> streams) {
    return new SluiceListenerContainer(sluice, listeners, streams.orderedStream().toList());
  }

  /** Sluice's meters go to the application's registry, when it has Micrometer and one registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  static class Metrics {
    @Bean
    SluiceBuilderCustomizer sluiceMeterRegistryCustomizer(ObjectProvider<MeterRegistry> registry) {
      return builder -> registry.ifUnique(builder::meterRegistry);
    }
  }

  /**
   * Sluice's sends and handler calls are observed in the application's registry, so Boot's tracing
   * (Brave or OpenTelemetry) carries W3C {@code traceparent} across the stream.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(ObservationRegistry.class)
  static class Observations {
    @Bean
    SluiceBuilderCustomizer sluiceObservationRegistryCustomizer(
        ObjectProvider<ObservationRegistry> registry) {
      return builder -> registry.ifUnique(builder::observationRegistry);
    }
  }
}
