/**
 * Sluice in a Spring Boot application: consumers declared as {@link
 * dev.sluice.spring.boot.SluiceListener} beans, and {@link
 * dev.sluice.spring.boot.SluiceBuilderCustomizer} beans to adjust the {@code Sluice} bean.
 */
@NullMarked
package dev.sluice.spring.boot;

import org.jspecify.annotations.NullMarked;
