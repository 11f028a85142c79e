package dev.sluice.spi;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The write id a record was stored with, and the id of the record its writer stored before it in
 * the same shard, if the writer knew it. A backend that declares {@code Capability.DEDUPLICATION}
 * stores both with each record ({@link WriteIdChain} makes them) and hands them back with the
 * records it delivers ({@link DeliverySink#deliver(dev.sluice.Shard, java.util.List,
 * java.util.List, long, long)}).
 *
 * <p>The link to the previous id is what lets a deduplicating consumer tell a late record from a
 * second copy: a record that arrives after a later id of its writer is new only if the later
 * record's {@code previous} shows a gap it fills.
 *
 * @param id the record's id
 * @param previous the id of the writer's previous record in the shard, or null if unknown (the
 *     writer's first record in the shard, or the first after the writer restarted)
 */
public record StoredWriteId(WriteId id, @Nullable WriteId previous) {
  /**
   * Checks the id is given.
   *
   * @param id the record's id
   * @param previous the id of the writer's previous record in the shard, or null if unknown
   */
  public StoredWriteId {
    Objects.requireNonNull(id, "id");
  }
}
