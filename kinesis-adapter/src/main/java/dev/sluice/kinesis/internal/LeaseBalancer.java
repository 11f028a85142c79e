package dev.sluice.kinesis.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evens out a group's shards where the KCL's lease-count assignment leaves them uneven.
 *
 * <p>KCL 3.5.1's {@code LeaseCountBasedLeaseAssignmentDecider} fills workers up to a target of
 * ceil(leases ÷ workers) and moves leases only from workers above that target. With 4 shards and 3
 * members the target is 2, so a simultaneous start ends 2/2/0, and a member joining a 2/2 group
 * gets nothing, for as long as the group runs. Each Sluice member therefore checks the lease table
 * on the lease-assignment interval: when it owns fewer than floor(leases ÷ members) and another
 * member owns more, it takes one lease from the member with the most, through the KCL's own
 * graceful hand-off (the owner checkpoints what it processed, then lets go; see {@link
 * LeaseTable#takeOver}). A lease moves only from a member above the floor to one below it, so the
 * group converges to counts that differ by at most one and the KCL's decider, whose target is the
 * ceiling, never moves it back.
 *
 * <p>Members are the owners of open leases plus this one (a member with no lease is invisible to
 * the others, which only makes them take less). Nothing moves while a lease has no owner: assigning
 * those is the KCL's job.
 */
final class LeaseBalancer {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseBalancer.class);

  /** One open lease (its shard not yet ended) as the lease table has it. */
  static final class OpenLease {
    final String key;
    final @Nullable String owner;

    /** Set while a hand-off is under way: such a lease is not moved again. */
    final boolean handingOff;

    OpenLease(String key, @Nullable String owner, boolean handingOff) {
      this.key = key;
      this.owner = owner;
      this.handingOff = handingOff;
    }
  }

  private final LeaseTable table;
  private final String worker;

  LeaseBalancer(LeaseTable table, String worker) {
    this.table = table;
    this.worker = worker;
  }

  /** Takes at most one lease, if this member is short of its share. Never throws. */
  void balanceOnce() {
    try {
      Optional<OpenLease> take = leaseToTake(worker, table.openLeases());
      if (take.isPresent()) {
        OpenLease lease = take.get();
        if (table.takeOver(lease.key, Objects.requireNonNull(lease.owner), worker)) {
          LOG.info(
              "{}: taking over shard {} from {} to even out the group's shards",
              worker,
              lease.key,
              lease.owner);
        }
      }
    } catch (RuntimeException e) {
      // The next round looks again; the lease store may be away for a while.
      LOG.debug("{}: balancing the group's shards failed", worker, e);
    }
  }

  /** The lease {@code me} should take from another member, if any. */
  static Optional<OpenLease> leaseToTake(String me, List<OpenLease> leases) {
    Map<String, Integer> counts = new HashMap<>();
    for (OpenLease lease : leases) {
      if (lease.owner == null) {
        return Optional.empty();
      }
      counts.merge(lease.owner, 1, Integer::sum);
    }
    counts.putIfAbsent(me, 0);
    int floor = leases.size() / counts.size();
    if (counts.get(me) >= floor) {
      return Optional.empty();
    }
    String most = null;
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (most == null || e.getValue() > counts.get(most)) {
        most = e.getKey();
      }
    }
    if (counts.get(most) <= floor) {
      return Optional.empty();
    }
    for (OpenLease lease : leases) {
      if (most.equals(lease.owner) && !lease.handingOff) {
        return Optional.of(lease);
      }
    }
    return Optional.empty();
  }
}
