package dev.sluice.memory;

import dev.sluice.Position;
import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator of one consumer group on one memory stream. Membership changes and rebalances run
 * one at a time on the group's own thread; a rebalance revokes shards from their old owners (which
 * finish their records in progress and checkpoint) before assigning them to new ones, so a shard
 * never has two owners. A child shard becomes assignable only once all its parents were read to
 * their end.
 */
final class MemoryGroup {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryGroup.class);

  private final MemoryStream stream;
  private final String name;
  private final ExecutorService coordinator;

  // Touched only on the coordinator thread.
  private final List<MemoryConsumer> members = new ArrayList<>();
  private final Map<MemoryConsumer, Set<Shard>> owned = new HashMap<>();

  /**
   * Per shard, the next offset to read (one past the checkpoint, or where a reset put it, which may
   * be before every record, so it cannot be a checkpoint position) and the deduplication state
   * stored with that checkpoint: one value, so both are written in one step.
   */
  private record Stored(long nextOffset, byte @Nullable [] dedupState) {}

  private final Map<Shard, Stored> stored = new ConcurrentHashMap<>();

  /**
   * Who owns each shard, for transactional commits ({@link #commitIfOwner}); changed and read under
   * its own lock. A shard's owner changes only after the old one's revocation returned, so a
   * transaction that commits during the revocation (the processor's onRevoked) still finds itself
   * the owner, and one that commits later finds it is not.
   */
  private final Map<Shard, MemoryConsumer> owners = new HashMap<>();

  private final Set<Shard> finished = ConcurrentHashMap.newKeySet();

  MemoryGroup(MemoryStream stream, String name) {
    this.stream = stream;
    this.name = name;
    // One thread at most, and none while the group is idle: a group (and through it its stream's
    // records) must not be kept alive by a parked thread after its consumers are gone.
    this.coordinator =
        new ThreadPoolExecutor(
            0,
            1,
            1,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "sluice-memory-group-" + stream.name + "-" + name);
              t.setDaemon(true);
              return t;
            });
  }

  void join(MemoryConsumer member) {
    await(
        coordinator.submit(
            () -> {
              members.add(member);
              owned.put(member, new TreeSet<>());
              rebalance();
            }));
  }

  void leave(MemoryConsumer member) {
    await(
        coordinator.submit(
            () -> {
              Set<Shard> shards = owned.remove(member);
              members.remove(member);
              if (shards != null && !shards.isEmpty()) {
                commit(member.revoke(shards, false), member.dedupStates());
                disown(member, shards);
              }
              rebalance();
            }));
  }

  /** A member read {@code shard} to its end and processed it: its children may start. */
  void finished(MemoryConsumer member, Shard shard) {
    coordinator.execute(
        () -> {
          finished.add(shard);
          Set<Shard> shards = owned.get(member);
          if (shards != null) {
            shards.remove(shard);
          }
          disown(member, Set.of(shard));
          rebalance();
        });
  }

  /** The stream was deleted: let the coordinator thread go now rather than when idle. */
  void shutdown() {
    coordinator.shutdown();
  }

  void shardsChanged() {
    coordinator.execute(this::rebalance);
  }

  void commit(Map<Shard, Position> positions) {
    commit(positions, null);
  }

  /**
   * Stores checkpoints, each with the deduplication state {@code states} gives for it (none if
   * null), unless an equal or later checkpoint is stored.
   */
  void commit(
      Map<Shard, Position> positions,
      @Nullable BiFunction<Shard, Position, byte @Nullable []> states) {
    positions.forEach(
        (s, p) ->
            stored.compute(
                s,
                (k, old) ->
                    old != null && old.nextOffset() >= p.offset() + 1
                        ? old
                        : new Stored(p.offset() + 1, states == null ? null : states.apply(s, p))));
  }

  /**
   * Runs {@code write} and stores {@code positions} as one step, if {@code member} owns every shard
   * in {@code positions}; else changes nothing.
   *
   * @return false if {@code member} does not own them all (it was fenced by a rebalance)
   */
  boolean commitIfOwner(MemoryConsumer member, Map<Shard, Position> positions, Runnable write) {
    synchronized (owners) {
      for (Shard s : positions.keySet()) {
        if (owners.get(s) != member) {
          return false;
        }
      }
      write.run();
      commit(positions);
      return true;
    }
  }

  /**
   * A seek of {@code member}: stores {@code next} as where the shard resumes, also if it is before
   * the stored checkpoint, if {@code member} owns the shard (false otherwise). The deduplication
   * state goes with the old checkpoint: records read again from there are wanted.
   */
  boolean moveCheckpoint(MemoryConsumer member, Shard shard, long next) {
    synchronized (owners) {
      if (owners.get(shard) != member) {
        return false;
      }
      stored.put(shard, new Stored(next, null));
      return true;
    }
  }

  private void disown(MemoryConsumer member, Set<Shard> shards) {
    synchronized (owners) {
      shards.forEach(s -> owners.remove(s, member));
    }
  }

  /** Where a new owner of {@code shard} reads first, or null if the group has no checkpoint. */
  @Nullable Long nextOffset(Shard shard) {
    Stored at = stored.get(shard);
    return at == null ? null : at.nextOffset();
  }

  /** The deduplication state stored with the shard's checkpoint, or null. */
  byte @Nullable [] dedupState(Shard shard) {
    Stored at = stored.get(shard);
    return at == null ? null : at.dedupState();
  }

  // ------------------------------------------------------------------ admin (GroupAdmin)

  String name() {
    return name;
  }

  /** True if the group has checkpoints or members. */
  boolean isInUse() {
    return !stored.isEmpty() || !call(() -> List.copyOf(members)).isEmpty();
  }

  /** The members' ids and who owns which shard, read on the coordinator thread. */
  Map<Shard, String> owners() {
    return call(
        () -> {
          Map<Shard, String> out = new HashMap<>();
          owned.forEach((m, shards) -> shards.forEach(s -> out.put(s, m.id())));
          return out;
        });
  }

  List<String> memberIds() {
    return call(
        () -> {
          List<String> ids = new ArrayList<>();
          members.forEach(m -> ids.add(m.id()));
          return ids;
        });
  }

  Map<Shard, Long> nextOffsets() {
    Map<Shard, Long> out = new HashMap<>();
    stored.forEach((s, at) -> out.put(s, at.nextOffset()));
    return out;
  }

  /**
   * Runs {@code change} on the coordinator thread if the group has no member, so no member can join
   * between the check and the change.
   *
   * @throws dev.sluice.SluiceException {@code FAILED_PRECONDITION} if it has members
   */
  void whileEmpty(String what, Runnable change) {
    call(
        () -> {
          if (!members.isEmpty()) {
            List<String> ids = new ArrayList<>();
            members.forEach(m -> ids.add(m.id()));
            throw new dev.sluice.SluiceException(
                dev.sluice.ErrorCode.FAILED_PRECONDITION,
                "Cannot "
                    + what
                    + " group '"
                    + name
                    + "' of stream '"
                    + stream.name
                    + "' while it has live members "
                    + ids
                    + ": stop them first");
          }
          change.run();
          return null;
        });
  }

  /**
   * Replaces the next offsets of these shards. Call inside {@link #whileEmpty}. Their deduplication
   * state goes: it describes what the group passed before the old checkpoint, and records from the
   * new position on are to be delivered again.
   */
  void reset(Map<Shard, Long> next) {
    next.forEach((s, n) -> stored.put(s, new Stored(n, null)));
  }

  private <T> T call(java.util.concurrent.Callable<T> task) {
    Future<T> f = coordinator.submit(task);
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new dev.sluice.SluiceException(dev.sluice.ErrorCode.CLOSED, "Interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void rebalance() {
    if (members.isEmpty()) {
      return;
    }
    Set<Shard> assignable = MemoryShard.lineage(stream.shards()).readable(finished);
    int quota = (assignable.size() + members.size() - 1) / members.size();
    Map<MemoryConsumer, Set<Shard>> target = new HashMap<>();
    members.forEach(m -> target.put(m, new TreeSet<>()));
    Set<Shard> unassigned = new TreeSet<>(assignable);
    // Sticky: a member keeps what it owns, up to its fair share.
    for (MemoryConsumer m : members) {
      for (Shard s : owned.get(m)) {
        if (unassigned.contains(s) && target.get(m).size() < quota) {
          target.get(m).add(s);
          unassigned.remove(s);
        }
      }
    }
    for (Shard s : unassigned) {
      MemoryConsumer least =
          members.stream().min(Comparator.comparingInt(m -> target.get(m).size())).orElseThrow();
      target.get(least).add(s);
    }
    for (MemoryConsumer m : members) {
      Set<Shard> revoke = new TreeSet<>(owned.get(m));
      revoke.removeAll(target.get(m));
      if (!revoke.isEmpty()) {
        commit(m.revoke(revoke, false), m.dedupStates());
        owned.get(m).removeAll(revoke);
        disown(m, revoke);
      }
    }
    for (MemoryConsumer m : members) {
      Set<Shard> assign = new TreeSet<>(target.get(m));
      assign.removeAll(owned.get(m));
      if (!assign.isEmpty()) {
        owned.get(m).addAll(assign);
        synchronized (owners) {
          assign.forEach(s -> owners.put(s, m));
        }
        m.assign(assign);
      }
    }
    LOG.debug("Group {} of {} rebalanced: {}", name, stream.name, owned);
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
