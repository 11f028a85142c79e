package dev.sluice.spi;

import dev.sluice.ErrorCode;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.util.Collection;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** What a consumer driver is made for. */
public final class ConsumerSpec {
  private final String stream;
  private final @Nullable String group;
  private final StartPosition startPosition;
  private final String clientId;
  private final int maxBatchRecords;
  private final boolean deduplicate;

  /**
   * What a consumer driver is made for.
   *
   * @param stream the stream to read
   * @param group the consumer group, or null for a standalone consumer
   * @param startPosition where to start a shard that has no checkpoint
   * @param clientId a name for this consumer, unique across processes on one host
   * @param maxBatchRecords a hint for the largest batch worth delivering at once
   */
  public ConsumerSpec(
      String stream,
      @Nullable String group,
      StartPosition startPosition,
      String clientId,
      int maxBatchRecords) {
    this(stream, group, startPosition, clientId, maxBatchRecords, false);
  }

  /**
   * A spec; {@code deduplicate} only for a group consumer on a backend that declares {@code
   * Capability.DEDUPLICATION}.
   *
   * @param stream the stream to read
   * @param group the consumer group, or null for a standalone consumer
   * @param startPosition where to start a shard that has no checkpoint
   * @param clientId a name for this consumer, unique across processes on one host
   * @param maxBatchRecords a hint for the largest batch worth delivering at once
   * @param deduplicate true if the consumer drops second copies of writes (see {@link
   *     #deduplicate()})
   */
  public ConsumerSpec(
      String stream,
      @Nullable String group,
      StartPosition startPosition,
      String clientId,
      int maxBatchRecords,
      boolean deduplicate) {
    this.deduplicate = deduplicate;
    this.stream = Objects.requireNonNull(stream, "stream");
    this.group = group;
    this.startPosition = Objects.requireNonNull(startPosition, "startPosition");
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    this.maxBatchRecords = maxBatchRecords;
  }

  /**
   * The stream to read.
   *
   * @return the stream's name
   */
  public String stream() {
    return stream;
  }

  /**
   * The group (group mode: shared shards, checkpoints stored), or null (standalone: all shards).
   *
   * @return the group (group mode: shared shards, checkpoints stored), or null (standalone: all
   *     shards)
   */
  public @Nullable String group() {
    return group;
  }

  /**
   * Whether this consumer is in a group.
   *
   * @return true if {@link #group()} is not null
   */
  public boolean isGroup() {
    return group != null;
  }

  /**
   * Where to start a shard that has no checkpoint. In group mode a stored checkpoint always wins:
   * reading resumes just after it.
   *
   * @return where to start a shard that has no checkpoint
   */
  public StartPosition startPosition() {
    return startPosition;
  }

  /**
   * A name for this consumer, unique across processes on one host (it holds the process id) and
   * within the JVM (Kafka client.id, KCL worker id). A backend that needs uniqueness across hosts
   * adds its own suffix.
   *
   * @return a name for this consumer, unique across processes on one host (it holds the process id)
   *     and within the JVM (Kafka client.id, KCL worker id)
   */
  public String clientId() {
    return clientId;
  }

  /**
   * A hint for the largest batch worth delivering at once: a pull consumer's {@code
   * maxPollRecords}; for a handler consumer, 5000 or its {@code maxBufferedRecords} if smaller.
   *
   * @return a hint for the largest batch worth delivering at once: a pull consumer's {@code
   *     maxPollRecords}; for a handler consumer, 5000 or its {@code maxBufferedRecords} if smaller
   */
  public int maxBatchRecords() {
    return maxBatchRecords;
  }

  /**
   * True if the consumer drops second copies of writes: the driver must deliver write ids ({@link
   * DeliverySink#deliver(Shard, java.util.List, java.util.List, long, long)}), restore the state
   * stored with each shard's checkpoint ({@link DeliverySink#restoreDeduplication}) and store it
   * with each checkpoint, in one atomic write ({@link DeliverySink#deduplicationState}).
   *
   * @return true if the consumer deduplicates
   */
  public boolean deduplicate() {
    return deduplicate;
  }

  /**
   * The error to report if the start position names a shard the stream does not have, or null if it
   * names none or only shards among {@code shards}. A driver must check this before it reads and
   * fail the consumer with the error ({@code INVALID_ARGUMENT}): a position for a shard that does
   * not exist is a mistake (a wrong stream, a stale id), not a no-op.
   *
   * @param shards every shard the stream has now
   * @return the error to report if the start position names a shard the stream does not have, or
   *     null if it names none or only shards among {@code shards}
   */
  public @Nullable SluiceException unknownStartShard(Collection<Shard> shards) {
    for (Shard named : new TreeSet<>(startPosition.positions().keySet())) {
      if (!shards.contains(named)) {
        return new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            "The start position names shard '"
                + named
                + "', which stream '"
                + stream
                + "' does not have; its shards are "
                + list(shards));
      }
    }
    return null;
  }

  /** The shards in order, the first few only for a stream of many. */
  private static String list(Collection<Shard> shards) {
    int shown = 10;
    StringBuilder out = new StringBuilder();
    int i = 0;
    for (Shard shard : new TreeSet<>(shards)) {
      if (i == shown) {
        return out.append(", ... (").append(shards.size()).append(" in all)").toString();
      }
      out.append(i++ == 0 ? "" : ", ").append(shard);
    }
    return i == 0 ? "none" : out.toString();
  }
}
