/**
 * Spring Boot auto-configuration for Sluice; applications use {@code sluice-spring-boot-starter}.
 */
@NullMarked
package dev.sluice.spring.boot.autoconfigure;

import org.jspecify.annotations.NullMarked;
