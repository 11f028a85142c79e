/**
 * The Kafka backend of Sluice: {@code sluice.backend=kafka}.
 *
 * <p>Add {@code dev.sluice:sluice-kafka} to the class path and configure it with {@code
 * sluice.kafka.*} keys, or in code with {@link dev.sluice.kafka.KafkaOptions}. Every Kafka
 * producer, consumer and admin client setting can be given; misspelled keys are reported.
 *
 * <p>What maps to what: a stream is a topic, a shard is a partition (id {@code "0"}, {@code "1"},
 * ...), a position is an offset, a consumer group is a Kafka consumer group (its committed offset
 * is the checkpoint + 1), headers are Kafka headers.
 *
 * <p>Native clients, for what Sluice does not cover:
 *
 * <ul>
 *   <li>{@code sluice.unwrap(org.apache.kafka.clients.admin.Admin.class)}: the shared admin client
 *       (thread-safe).
 *   <li>{@code producer.unwrap(org.apache.kafka.clients.producer.Producer.class)}: the producer's
 *       {@code KafkaProducer} (thread-safe). Do not close it; close the Sluice producer.
 *   <li>{@code consumer.unwrap(org.apache.kafka.clients.consumer.Consumer.class)}: the consumer's
 *       {@code KafkaConsumer}. It is <b>not thread-safe</b> and belongs to Sluice's poll thread:
 *       use it only for read-only calls that Kafka allows from any thread, such as {@code
 *       metrics()}; other calls fail with {@code ConcurrentModificationException} or disturb the
 *       consumer.
 * </ul>
 *
 * <p>Errors: Kafka's exceptions are mapped to portable {@link dev.sluice.ErrorCode}s (unknown topic
 * → {@code NOT_FOUND}, record too large → {@code RECORD_TOO_LARGE}, authentication → {@code
 * UNAUTHENTICATED}, ACLs → {@code PERMISSION_DENIED}, retriable errors → {@code UNAVAILABLE} or
 * {@code TIMEOUT}, retryable) and kept as the cause.
 */
@NullMarked
package dev.sluice.kafka;

import org.jspecify.annotations.NullMarked;
