package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.GroupAdmin;
import dev.sluice.GroupDescription;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.ShardProgress;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ListTablesResponse;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * A group is its KCL lease table ({@code <lease table prefix><group>}): one lease per shard,
 * holding the owner and the checkpoint (a sequence number and sub-sequence, or a KCL sentinel such
 * as {@code TRIM_HORIZON}). A lease with an owner is a live member's: Sluice releases its leases
 * when a consumer closes, so an owner left in the table means a member that runs (or crashed, until
 * another member takes the lease over). Changes are conditional writes on unowned leases; DynamoDB
 * offers no lock over several leases without transactions, so a member that starts in the middle of
 * a reset makes it fail part way, with a message saying so.
 *
 * <p>Kinesis has no cheap way to the latest sequence number of a shard, so a description gives no
 * latest position and no lag in records; the lag in time is the age of the first unread record (one
 * GetRecords per shard).
 */
final class KinesisGroupAdmin implements GroupAdmin {
  private static final Set<String> SENTINELS =
      Set.of("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END");

  private final KinesisBackend backend;

  KinesisGroupAdmin(KinesisBackend backend) {
    this.backend = backend;
  }

  private LeaseTable table(String group) {
    return new LeaseTable(backend.dynamo(), backend.settings().leaseTable(group));
  }

  @Override
  public List<String> listGroups(String stream) {
    Set<String> shardIds = new HashSet<>();
    KinesisAdmin.listShards(backend.kinesis(), stream).forEach(s -> shardIds.add(s.shardId()));
    String prefix = backend.settings().leaseTablePrefix;
    List<String> groups = new ArrayList<>();
    String start = null;
    do {
      String from = start;
      ListTablesResponse page =
          KinesisAdmin.join(backend.dynamo().listTables(b -> b.exclusiveStartTableName(from)));
      for (String name : page.tableNames()) {
        if (!name.startsWith(prefix) || name.length() == prefix.length()) {
          continue;
        }
        List<Map<String, AttributeValue>> leases =
            new LeaseTable(backend.dynamo(), name).leaseItems();
        if (!leases.isEmpty()
            && leases.stream().allMatch(l -> shardIds.contains(l.get("leaseKey").s()))) {
          groups.add(name.substring(prefix.length()));
        }
      }
      start = page.lastEvaluatedTableName();
    } while (start != null);
    groups.sort(null);
    return groups;
  }

  @Override
  public GroupDescription describeGroup(String stream, String group) {
    List<Map<String, AttributeValue>> leases = leases(stream, group);
    Set<String> members = new TreeSet<>();
    Map<Shard, ShardProgress> shards = new TreeMap<>();
    for (Map<String, AttributeValue> lease : leases) {
      String shardId = lease.get("leaseKey").s();
      String owner = string(lease, "leaseOwner");
      if (owner != null) {
        members.add(owner);
      }
      String checkpoint = string(lease, "checkpoint");
      long sub = number(lease, "checkpointSubSequenceNumber");
      Position position =
          checkpoint != null && !SENTINELS.contains(checkpoint) && sub >= 0
              ? Position.of(checkpoint, sub)
              : null;
      shards.put(
          Shard.of(shardId),
          ShardProgress.builder(Shard.of(shardId))
              .owner(owner)
              .checkpoint(position)
              .lagTime(lagTime(stream, shardId, checkpoint, sub))
              .build());
    }
    return GroupDescription.of(
        stream, group, new ArrayList<>(members), new ArrayList<>(shards.values()));
  }

  @Override
  public void resetGroup(String stream, String group, StartPosition to) {
    Set<String> shardIds = new HashSet<>();
    KinesisAdmin.listShards(backend.kinesis(), stream).forEach(s -> shardIds.add(s.shardId()));
    for (Shard named : to.positions().keySet()) {
      if (!shardIds.contains(named.id())) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, "Stream '" + stream + "' has no shard " + named);
      }
    }
    LeaseTable table = table(group);
    table.ensureExists();
    List<Map<String, AttributeValue>> leases = table.leaseItems();
    if (leases.isEmpty()) {
      // A new group: the leases its first member would write, with these checkpoints.
      table.seed(backend.kinesis(), stream, to);
      return;
    }
    requireNoOwner("reset", stream, group, leases);
    for (Map<String, AttributeValue> lease : leases) {
      String shardId = lease.get("leaseKey").s();
      boolean ended = "SHARD_END".equals(string(lease, "checkpoint"));
      String[] target = target(stream, shardId, ended, to.forShard(Shard.of(shardId)));
      if (!table.rewriteCheckpoint(shardId, target[0], Long.parseLong(target[1]))) {
        throw new SluiceException(
            ErrorCode.FAILED_PRECONDITION,
            "Reset of group '"
                + group
                + "' of stream '"
                + stream
                + "' stopped at shard "
                + shardId
                + ": a member took its lease meanwhile; stop every member and reset again");
      }
    }
  }

  /** The KCL checkpoint (sequence or sentinel, sub-sequence) for where {@code start} says. */
  private String[] target(String stream, String shardId, boolean ended, StartPosition start) {
    switch (start.kind()) {
      case EARLIEST:
        return new String[] {"TRIM_HORIZON", "0"};
      case LATEST:
        return new String[] {ended ? "SHARD_END" : "LATEST", "0"};
      case AT_TIMESTAMP:
        String seq = firstAtOrAfter(stream, shardId, start.timestamp());
        if (seq == null) {
          return new String[] {ended ? "SHARD_END" : "LATEST", "0"};
        }
        // The KCL resumes after a checkpoint; sub-sequence -1 sorts before every record of seq.
        return new String[] {seq, "-1"};
      default:
        Position p = start.positions().get(Shard.of(shardId));
        long sub = start.isInclusive() ? p.subSequence() - 1 : p.subSequence();
        return new String[] {p.sequenceNumber(), Long.toString(sub)};
    }
  }

  private @Nullable String firstAtOrAfter(String stream, String shardId, Instant time) {
    String iterator =
        KinesisAdmin.join(
                backend
                    .kinesis()
                    .getShardIterator(
                        b ->
                            b.streamName(stream)
                                .shardId(shardId)
                                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                                .timestamp(time)))
            .shardIterator();
    // Kinesis may answer empty pages before a record; a handful of pages finds it or the end.
    for (int i = 0; i < 20 && iterator != null; i++) {
      String it = iterator;
      GetRecordsResponse page =
          KinesisAdmin.join(backend.kinesis().getRecords(b -> b.shardIterator(it).limit(1)));
      if (!page.records().isEmpty()) {
        return page.records().get(0).sequenceNumber();
      }
      Long behind = page.millisBehindLatest();
      if (behind == null || behind == 0) {
        return null;
      }
      iterator = page.nextShardIterator();
    }
    return null;
  }

  /** The age of the first record after the checkpoint; zero when none is left, null if unknown. */
  private @Nullable Duration lagTime(
      String stream, String shardId, @Nullable String checkpoint, long sub) {
    if (checkpoint == null || "SHARD_END".equals(checkpoint)) {
      return checkpoint == null ? null : Duration.ZERO;
    }
    ShardIteratorType type;
    String sequence = null;
    if ("TRIM_HORIZON".equals(checkpoint)) {
      type = ShardIteratorType.TRIM_HORIZON;
    } else if (SENTINELS.contains(checkpoint)) {
      return null; // LATEST / AT_TIMESTAMP: depends on when the group starts
    } else {
      sequence = checkpoint;
      type =
          sub < 0 ? ShardIteratorType.AT_SEQUENCE_NUMBER : ShardIteratorType.AFTER_SEQUENCE_NUMBER;
    }
    String seq = sequence;
    String iterator =
        KinesisAdmin.join(
                backend
                    .kinesis()
                    .getShardIterator(
                        b -> {
                          b.streamName(stream).shardId(shardId).shardIteratorType(type);
                          if (seq != null) {
                            b.startingSequenceNumber(seq);
                          }
                        }))
            .shardIterator();
    GetRecordsResponse page =
        KinesisAdmin.join(backend.kinesis().getRecords(b -> b.shardIterator(iterator).limit(1)));
    if (!page.records().isEmpty()) {
      Instant arrival = page.records().get(0).approximateArrivalTimestamp();
      return arrival == null ? null : Duration.between(arrival, Instant.now());
    }
    Long behind = page.millisBehindLatest();
    return behind == null ? null : Duration.ofMillis(behind);
  }

  @Override
  public void deleteGroup(String stream, String group) {
    LeaseTable table = table(group);
    List<Map<String, AttributeValue>> leases = leases(stream, group);
    requireNoOwner("delete", stream, group, leases);
    table.delete();
  }

  private List<Map<String, AttributeValue>> leases(String stream, String group) {
    LeaseTable table = table(group);
    List<Map<String, AttributeValue>> leases = table.exists() ? table.leaseItems() : List.of();
    if (leases.isEmpty()) {
      throw new SluiceException(
          ErrorCode.NOT_FOUND,
          "Group '"
              + group
              + "' of stream '"
              + stream
              + "' has no lease table '"
              + backend.settings().leaseTable(group)
              + "' with leases");
    }
    return leases;
  }

  private static void requireNoOwner(
      String what, String stream, String group, List<Map<String, AttributeValue>> leases) {
    Set<String> owners = new TreeSet<>();
    leases.forEach(
        l -> {
          String owner = string(l, "leaseOwner");
          if (owner != null) {
            owners.add(owner);
          }
        });
    if (!owners.isEmpty()) {
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION,
          "Cannot "
              + what
              + " group '"
              + group
              + "' of stream '"
              + stream
              + "' while it has live members "
              + owners
              + ": stop them first (a crashed member's lease counts until another member takes"
              + " it over)");
    }
  }

  private static @Nullable String string(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v == null ? null : v.s();
  }

  private static long number(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
  }
}
