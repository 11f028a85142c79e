package dev.sluice.spi;

import dev.sluice.Position;
import java.util.Objects;

/**
 * Names one logical write, so that a consumer that deduplicates can drop a second copy of it (a
 * send the driver retried after a lost acknowledgement, or a processor re-processing its input
 * after a crash). Core gives one to {@link ProducerDriver#send(dev.sluice.Record, WriteId,
 * SendCallback)}; a backend without transactions stores it with the record (Kinesis: in the
 * envelope), a backend that needs none may ignore it.
 *
 * <p>The ids of one {@code writer} increase in the order its records are meant to be read: a
 * consumer keeps, per writer and shard, the highest id it has passed and drops any record at or
 * below it. Two forms:
 *
 * <ul>
 *   <li>a producer: {@code writer} is unique per producer instance (random), {@code position} a
 *       counter of its sends ({@link Position#of(long)}), {@code index} 0;
 *   <li>a processor's outputs: {@code writer} names the processor's group, its input stream and the
 *       input shard; {@code position} is the input record's position and {@code index} the output's
 *       number among that input's outputs, so re-processing the same input after a crash yields the
 *       same ids.
 * </ul>
 *
 * @param writer who wrote it; at most 256 UTF-8 bytes
 * @param position the writer's position; compared with {@link Position#compareTo} (one writer's
 *     positions are all offsets or all sequence numbers)
 * @param index order among writes of the same position, from 0
 */
public record WriteId(String writer, Position position, int index) implements Comparable<WriteId> {
  /**
   * Checks the components.
   *
   * @param writer who wrote it; at most 256 UTF-8 bytes
   * @param position the writer's position
   * @param index order among writes of the same position, from 0
   * @throws NullPointerException if {@code writer} or {@code position} is null
   * @throws IllegalArgumentException if {@code index} is negative
   */
  public WriteId {
    Objects.requireNonNull(writer, "writer");
    Objects.requireNonNull(position, "position");
    if (index < 0) {
      throw new IllegalArgumentException("index < 0: " + index);
    }
  }

  /**
   * Orders two ids of the same writer; ids of different writers are not comparable.
   *
   * @throws IllegalArgumentException if the writers differ
   */
  @Override
  public int compareTo(WriteId other) {
    if (!writer.equals(other.writer)) {
      throw new IllegalArgumentException(
          "ids of different writers do not compare: " + writer + " vs " + other.writer);
    }
    int c = position.compareTo(other.position);
    return c != 0 ? c : Integer.compare(index, other.index);
  }
}
