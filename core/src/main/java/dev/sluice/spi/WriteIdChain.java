package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Shard;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Gives a producer's records their write ids, for a backend that declares {@code
 * Capability.DEDUPLICATION}. A record sent without an id gets one of this producer's own: its
 * writer is a random id made here, its position a counter of the producer's records in that shard
 * (0, 1, 2, ...). A record sent with an id (a processor's output) keeps it. Either way the id
 * returned links to the writer's previous id in the same shard.
 *
 * <p>The driver must call {@link #next} once per record, when the record's shard is known and in
 * the order the records of one shard are handed to the broker, so that the links follow the order
 * of the sends. Thread-safe. Memory grows with the writers and shards seen, not with records.
 */
public final class WriteIdChain {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String producerWriter;
  private final Map<Shard, Long> counters = new HashMap<>();
  private final Map<String, Map<Shard, WriteId>> last = new HashMap<>();

  /** A chain whose own writer is a new random id (72 bits, 12 base64url characters). */
  public WriteIdChain() {
    byte[] bytes = new byte[9];
    RANDOM.nextBytes(bytes);
    this.producerWriter = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * This producer's own writer id (the writer of records sent without an id).
   *
   * @return the writer id
   */
  public String producerWriter() {
    return producerWriter;
  }

  /**
   * The id to store with the next record for {@code shard}.
   *
   * @param shard the shard the record goes to
   * @param given the id core gave the send, or null for one of this producer's own
   * @return the id and its link to the writer's previous id in the shard
   */
  public synchronized StoredWriteId next(Shard shard, @Nullable WriteId given) {
    WriteId id = given;
    if (id == null) {
      long n = counters.merge(shard, 1L, Long::sum) - 1;
      id = new WriteId(producerWriter, Position.of(n), 0);
    }
    WriteId previous = last.computeIfAbsent(id.writer(), w -> new HashMap<>()).put(shard, id);
    return new StoredWriteId(id, previous);
  }
}
