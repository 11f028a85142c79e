/**
 * The Kafka backend of Sluice: {@code sluice.backend=kafka}.
 *
 * <p>Add {@code dev.sluice:sluice-kafka} to the class path and configure it with {@code
 * sluice.kafka.*} keys, or in code with {@link dev.sluice.kafka.KafkaOptions}. Every Kafka
 * producer, consumer and admin client setting can be given; misspelled keys are reported.
 */
@NullMarked
package dev.sluice.kafka;

import org.jspecify.annotations.NullMarked;
