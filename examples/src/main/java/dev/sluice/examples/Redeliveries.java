package dev.sluice.examples;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recognises records delivered again. Sluice delivers at least once: after a rebalance or a
 * restart, the records after a shard's last checkpoint come again. Within a shard, records arrive
 * in position order, so a record at or before the highest position already handled for its shard is
 * a repeat. One instance per stream; thread-safe.
 */
final class Redeliveries {
  private final Map<Shard, Position> highest = new ConcurrentHashMap<>();
  private final AtomicLong repeats = new AtomicLong();

  /** True the first time a record is seen; false (and counted) for a repeat. */
  boolean isFirstDelivery(Record<?, ?> record) {
    Shard shard = Objects.requireNonNull(record.shard(), "a received record has a shard");
    Position position = Objects.requireNonNull(record.position(), "and a position");
    boolean[] first = {false};
    highest.compute(
        shard,
        (s, seen) -> {
          if (seen != null && !position.isAfter(seen)) {
            return seen;
          }
          first[0] = true;
          return position;
        });
    if (!first[0]) {
      repeats.incrementAndGet();
    }
    return first[0];
  }

  /** How many repeats were recognised. */
  long repeats() {
    return repeats.get();
  }
}
