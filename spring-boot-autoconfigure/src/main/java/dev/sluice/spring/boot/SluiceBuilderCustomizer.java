package dev.sluice.spring.boot;

import dev.sluice.Sluice;

/**
 * Changes the {@link Sluice.Builder} the auto-configuration opens the {@code Sluice} bean with,
 * after the {@code sluice.*} properties and the meter registry are set: declare one as a bean, e.g.
 * to {@link Sluice.Builder#require require} capabilities.
 */
@FunctionalInterface
public interface SluiceBuilderCustomizer {
  /**
   * Changes the builder.
   *
   * @param builder the builder the {@code Sluice} bean is opened with
   */
  void customize(Sluice.Builder builder);
}
