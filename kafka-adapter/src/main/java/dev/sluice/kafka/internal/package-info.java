/**
 * The Kafka backend behind Sluice's SPI. Not an API: applications use {@code dev.sluice} and {@link
 * dev.sluice.kafka.KafkaOptions}; this package may change in any release.
 */
@NullMarked
package dev.sluice.kafka.internal;

import org.jspecify.annotations.NullMarked;
