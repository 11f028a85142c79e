package dev.sluice.spi;

import dev.sluice.StartPosition;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** What a consumer driver is made for. */
public final class ConsumerSpec {
  private final String stream;
  private final @Nullable String group;
  private final StartPosition startPosition;
  private final String clientId;
  private final int maxBatchRecords;

  public ConsumerSpec(
      String stream,
      @Nullable String group,
      StartPosition startPosition,
      String clientId,
      int maxBatchRecords) {
    this.stream = Objects.requireNonNull(stream, "stream");
    this.group = group;
    this.startPosition = Objects.requireNonNull(startPosition, "startPosition");
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    this.maxBatchRecords = maxBatchRecords;
  }

  public String stream() {
    return stream;
  }

  /**
   * The group (group mode: shared shards, checkpoints stored), or null (standalone: all shards).
   */
  public @Nullable String group() {
    return group;
  }

  public boolean isGroup() {
    return group != null;
  }

  /**
   * Where to start a shard that has no checkpoint. In group mode a stored checkpoint always wins:
   * reading resumes just after it.
   */
  public StartPosition startPosition() {
    return startPosition;
  }

  /**
   * A name for this consumer, unique across processes on one host (it holds the process id) and
   * within the JVM (Kafka client.id, KCL worker id). A backend that needs uniqueness across hosts
   * adds its own suffix.
   */
  public String clientId() {
    return clientId;
  }

  /**
   * A hint for the largest batch worth delivering at once: a pull consumer's {@code
   * maxPollRecords}; for a handler consumer, 5000 or its {@code maxBufferedRecords} if smaller.
   */
  public int maxBatchRecords() {
    return maxBatchRecords;
  }
}
