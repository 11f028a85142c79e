package dev.sluice;

/**
 * Which records of a shard a consumer with a handler may handle at the same time; chosen with
 * {@link ConsumerBuilder#concurrency(int, Ordering)}.
 *
 * <p>In every mode a checkpoint covers only the contiguous prefix of each shard's records that are
 * done with (handled, skipped or dead-lettered), so a crash or a lost shard redelivers at most the
 * records received after that prefix; nothing a checkpoint covers was left unhandled.
 */
public enum Ordering {
  /**
   * One record at a time per shard, in shard order; different shards in parallel, at most the
   * consumer's concurrency at once. The default, and how consumers have always worked.
   */
  PER_SHARD,

  /**
   * Records of one key in shard order, one at a time; records of different keys of the same shard
   * in parallel. Records without a key are handled in order among themselves, as if they shared one
   * key. A record whose handler keeps failing holds back only the later records of its key (and the
   * shard's checkpoint, which cannot pass it), not the other keys of its shard.
   */
  PER_KEY,

  /** Any record at any time: no order, not even per key; the most parallel. */
  UNORDERED
}
