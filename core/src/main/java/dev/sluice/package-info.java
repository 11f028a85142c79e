/**
 * Sluice's portable API: everything an application needs to produce to and consume from Kafka or
 * Kinesis through one interface. Start at {@link dev.sluice.Sluice}.
 */
@NullMarked
package dev.sluice;

import org.jspecify.annotations.NullMarked;
