package dev.sluice;

import java.time.Duration;
import java.util.List;

/**
 * Creates, describes, lists, deletes and reshards streams, and changes their retention. Every call
 * blocks until the backend has done it (a created stream is ready for records when {@link
 * #createStream} returns).
 *
 * <pre>{@code
 * StreamAdmin admin = sluice.admin();
 * if (!admin.exists("orders")) {
 *   admin.createStream("orders", StreamSpec.withShards(4));
 * }
 * }</pre>
 *
 * <p>What a backend cannot do fails with {@link ErrorCode#UNSUPPORTED} and a message saying why;
 * {@link Capabilities} says so up front (Kafka cannot lower a partition count).
 */
public interface StreamAdmin {
  /**
   * Creates a stream and waits until it is ready.
   *
   * @param stream the stream's name
   * @param spec how the stream is made
   * @throws SluiceException {@code ALREADY_EXISTS}, {@code INVALID_ARGUMENT} for a bad name, shard
   *     count or retention
   */
  void createStream(String stream, StreamSpec spec);

  /**
   * Describes a stream.
   *
   * @param stream the stream's name
   * @return the stream's description
   * @throws SluiceException {@code NOT_FOUND}
   */
  StreamDescription describeStream(String stream);

  /**
   * True if the stream exists.
   *
   * @param stream the stream's name
   * @return true if the stream exists
   */
  boolean exists(String stream);

  /**
   * The names of all streams, sorted.
   *
   * @return the names of all streams, sorted
   */
  List<String> listStreams();

  /**
   * Deletes a stream and its records.
   *
   * @param stream the stream's name
   * @throws SluiceException {@code NOT_FOUND}
   */
  void deleteStream(String stream);

  /**
   * Changes the number of open shards and waits until done. Kafka adds partitions (keys then route
   * differently); Kinesis and memory split or merge shards evenly.
   *
   * @param stream the stream's name
   * @param shards the shards
   * @throws SluiceException {@code UNSUPPORTED} when lowering on a backend that cannot
   */
  void setShardCount(String stream, int shards);

  /**
   * Changes how long a stream keeps its records and waits until the backend shows the new value in
   * {@link #describeStream}. Records older than a shorter retention may be deleted from then on.
   * The value must lie within {@link Capabilities#minRetention()} and {@link
   * Capabilities#maxRetention()} (Kinesis: 24 to 8,760 whole hours).
   *
   * @param stream the stream's name
   * @param retention how long records are kept
   * @throws SluiceException {@code INVALID_ARGUMENT} for a retention not positive, outside those
   *     bounds or finer than the backend keeps (Kinesis: not whole hours), or for a stream created
   *     with {@link StreamSpec.CleanupPolicy#COMPACT} (it keeps every key's latest record however
   *     old); {@code NOT_FOUND}
   */
  void setRetention(String stream, Duration retention);

  /**
   * Splits an open shard in two at the middle of its hash-key range.
   *
   * @param stream the stream's name
   * @param shard the shard
   * @throws SluiceException {@code UNSUPPORTED} where the backend has no hash-key ranges (Kafka)
   */
  void splitShard(String stream, Shard shard);

  /**
   * Merges two open shards with adjacent hash-key ranges into one.
   *
   * @param stream the stream's name
   * @param first the first of the two shards
   * @param second the second shard, adjacent to the first
   * @throws SluiceException {@code UNSUPPORTED} where the backend cannot (Kafka), {@code
   *     INVALID_ARGUMENT} if the shards are not adjacent
   */
  void mergeShards(String stream, Shard first, Shard second);
}
