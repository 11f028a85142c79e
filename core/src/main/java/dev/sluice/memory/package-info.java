/**
 * The in-memory backend: Sluice's embedded default and its reference implementation. Shards have
 * hash-key ranges and split and merge like Kinesis shards; consumer groups rebalance; checkpoints,
 * retention and start positions behave as on a real broker. Streams live as long as the JVM, in a
 * namespace ({@code sluice.memory.namespace}, default {@code default}) shared by every {@code
 * Sluice} instance that names it.
 */
@NullMarked
package dev.sluice.memory;

import org.jspecify.annotations.NullMarked;
