package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.Sluice;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code sluice} health indicator, when the application has Boot's health support (e.g. through
 * spring-boot-starter-actuator). Turn it off with {@code management.health.sluice.enabled=false}.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnClass({Sluice.class, HealthIndicator.class})
@ConditionalOnBean(SluiceListenerContainer.class)
@ConditionalOnEnabledHealthIndicator("sluice")
@EnableConfigurationProperties(SluiceHealthProperties.class)
public class SluiceHealthAutoConfiguration {

  /** Created by Spring. */
  public SluiceHealthAutoConfiguration() {}

  /**
   * The indicator.
   *
   * @param sluice the Sluice bean
   * @param container the listeners
   * @param properties the indicator's timeout
   * @return the indicator, named {@code sluice}
   */
  @Bean
  @ConditionalOnMissingBean(name = "sluiceHealthIndicator")
  public SluiceHealthIndicator sluiceHealthIndicator(
      Sluice sluice, SluiceListenerContainer container, SluiceHealthProperties properties) {
    return new SluiceHealthIndicator(sluice, container, properties.getTimeout());
  }
}
