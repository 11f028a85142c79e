package dev.sluice;

import java.util.List;

/**
 * Looks at and repairs the consumer groups of a stream: which groups read it, how far each got in
 * every shard and how far behind it is, moving a group's checkpoints, and deleting a group. The
 * same on every backend: Kafka's committed group offsets, the KCL lease table of a Kinesis group, a
 * memory group's checkpoints.
 *
 * <pre>{@code
 * GroupAdmin groups = sluice.groups();
 * GroupDescription billing = groups.describeGroup("orders", "billing");
 * System.out.println("billing is " + billing.totalLag() + " records behind");
 * // stop every member of the group first, then:
 * groups.resetGroup("orders", "billing", StartPosition.atTimestamp(Instant.parse("2026-01-01T00:00:00Z")));
 * }</pre>
 *
 * <p>Checkpoints can only be changed while the group has no live member, as Kafka's {@code
 * kafka-consumer-groups.sh --reset-offsets} demands: a member would overwrite them with its own.
 * Every call blocks until the backend has done it. Thread-safe.
 */
public interface GroupAdmin {
  /**
   * The groups that have checkpoints on, or members reading, {@code stream}; sorted.
   *
   * <p>On Kinesis a lease table does not name its stream: the groups listed are the lease tables
   * under the configured prefix whose leases all name shards that {@code stream} has.
   *
   * @param stream the stream
   * @return the group names, sorted
   * @throws SluiceException {@code NOT_FOUND} if the stream does not exist
   */
  List<String> listGroups(String stream);

  /**
   * Describes a group on a stream: its live members and, for every shard it has a checkpoint for or
   * that is open, the owner, checkpoint, latest position and lag.
   *
   * @param stream the stream
   * @param group the group
   * @return the description
   * @throws SluiceException {@code NOT_FOUND} if the stream or the group does not exist
   */
  GroupDescription describeGroup(String stream, String group);

  /**
   * Moves the group's checkpoints, so that its next member starts every shard where {@code to}
   * says: {@link StartPosition#earliest()}, {@link StartPosition#latest()} (the records sent after
   * the reset; on Kinesis, after the group next starts), {@link StartPosition#atTimestamp}, or
   * given positions ({@link StartPosition#at}/{@link StartPosition#after}, with {@link
   * StartPosition#orElse} for the shards not named). A group that does not exist yet is created
   * with these checkpoints.
   *
   * @param stream the stream
   * @param group the group
   * @param to where the group is to start
   * @throws SluiceException {@code FAILED_PRECONDITION} while the group has live members (stop them
   *     first); {@code NOT_FOUND} if the stream does not exist; {@code INVALID_ARGUMENT} for a
   *     shard the stream has not
   */
  void resetGroup(String stream, String group, StartPosition to);

  /**
   * Deletes the group's checkpoints on {@code stream} (on Kafka, the group too once it has no
   * checkpoints left on any topic; on Kinesis, its lease table).
   *
   * @param stream the stream
   * @param group the group
   * @throws SluiceException {@code FAILED_PRECONDITION} while the group has live members; {@code
   *     NOT_FOUND} if the stream or the group does not exist
   */
  void deleteGroup(String stream, String group);
}
