package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ShardFilter;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.kinesis.coordinator.CoordinatorState;
import software.amazon.kinesis.coordinator.migration.ClientVersion;
import software.amazon.kinesis.coordinator.migration.MigrationState;
import software.amazon.kinesis.leases.EntityType;

/**
 * The KCL 3.5 lease table of one group, as the KCL itself would write it, prepared before the
 * Scheduler starts so that the first record arrives in seconds (see {@code
 * test-brokers/KCL-FAST-START.md}):
 *
 * <ol>
 *   <li>the table is created with its {@code LeaseOwnerToLeaseKeyIndex} index in one call (else the
 *       KCL adds the index and sleeps 10 s before checking it);
 *   <li>an empty table gets one lease per shard, chosen and filled in as the KCL's {@code
 *       EmptyLeaseTableSynchronizer} would (else the KCL waits a random 1–30 s first); a start at
 *       given positions is written into those leases as checkpoints;
 *   <li>on close, the leases this worker still owns are released (owner removed, counter bumped, as
 *       the KCL's {@code evictLease} does), so another member takes them at its next lease
 *       assignment instead of after the failover time.
 * </ol>
 *
 * The attribute names are the KCL's ({@code DynamoDBLeaseSerializer}); the KCL version is pinned.
 */
final class LeaseTable {
  static final String INDEX = "LeaseOwnerToLeaseKeyIndex";
  private static final Logger LOG = LoggerFactory.getLogger(LeaseTable.class);
  private static final Duration CREATE_LIMIT = Duration.ofMinutes(5);

  private final DynamoDbAsyncClient dynamo;
  private final String table;

  LeaseTable(DynamoDbAsyncClient dynamo, String table) {
    this.dynamo = dynamo;
    this.table = table;
  }

  /** Creates the table with its index unless it exists; waits until both are active. */
  void ensureExists() {
    TableDescription description = describe();
    if (description == null) {
      try {
        KinesisAdmin.join(
            dynamo.createTable(
                b ->
                    b.tableName(table)
                        .billingMode(BillingMode.PAY_PER_REQUEST)
                        .keySchema(key("leaseKey", KeyType.HASH))
                        .attributeDefinitions(attribute("leaseKey"), attribute("leaseOwner"))
                        .globalSecondaryIndexes(
                            GlobalSecondaryIndex.builder()
                                .indexName(INDEX)
                                .keySchema(
                                    key("leaseOwner", KeyType.HASH), key("leaseKey", KeyType.RANGE))
                                .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY))
                                .build())));
        LOG.debug("Created lease table {}", table);
      } catch (RuntimeException e) {
        if (!(KinesisErrors.unwrap(e) instanceof ResourceInUseException)) {
          throw e;
        }
        // Another member of the group is creating it right now.
      }
    }
    long deadline = System.nanoTime() + CREATE_LIMIT.toNanos();
    while (true) {
      description = describe();
      if (description != null
          && description.tableStatus() == TableStatus.ACTIVE
          && indexReady(description)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new SluiceException(
            ErrorCode.TIMEOUT,
            "Lease table '" + table + "' did not become ACTIVE in " + CREATE_LIMIT);
      }
      sleep(100);
    }
  }

  private static boolean indexReady(TableDescription description) {
    // A table the KCL created without the index gets it from the KCL; don't wait for it here.
    return description.globalSecondaryIndexes().stream()
        .filter(i -> i.indexName().equals(INDEX))
        .allMatch(i -> i.indexStatus() == IndexStatus.ACTIVE);
  }

  private @Nullable TableDescription describe() {
    try {
      return KinesisAdmin.join(dynamo.describeTable(b -> b.tableName(table))).table();
    } catch (RuntimeException e) {
      if (KinesisErrors.unwrap(e) instanceof ResourceNotFoundException) {
        return null;
      }
      throw e;
    }
  }

  /** True if the table holds at least one lease (items of other kinds don't count). */
  boolean hasLeases() {
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse page =
          KinesisAdmin.join(
              dynamo.scan(
                  b ->
                      b.tableName(table)
                          .projectionExpression("leaseKey, checkpoint")
                          .exclusiveStartKey(from)));
      for (Map<String, AttributeValue> item : page.items()) {
        if (item.containsKey("checkpoint")) {
          return true;
        }
      }
      start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
    } while (start != null && !start.isEmpty());
    return false;
  }

  /**
   * Writes the group's KCL client-version state ({@code Migration3.0}, version 3.x) unless it is
   * there, as the first KCL worker of a new group would write it.
   *
   * <p>Without it, members of a new group that start at the same moment each read "no state" and
   * race to create it; in KCL 3.5.1 each loser fails its initialization with "Failed to create
   * migration state", then keeps retrying with the state it read first ("AssignmentMode is not
   * initialized") until its Scheduler gives up, so a simultaneous start took 27–38 s to the first
   * record. The item is what {@link MigrationState#serialize()} writes (its attribute names are the
   * KCL's constants), put with the condition the KCL uses, so the first writer wins and the others
   * read it.
   */
  void recordClientVersion(String worker) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put("leaseKey", AttributeValue.fromS(MigrationState.MIGRATION_HASH_KEY));
    item.put(
        CoordinatorState.ENTITY_TYPE_ATTRIBUTE_NAME,
        AttributeValue.fromS(EntityType.CLIENT_VERSION_MIGRATION.getDdbValue()));
    item.put(
        MigrationState.CLIENT_VERSION_ATTRIBUTE_NAME,
        AttributeValue.fromS(ClientVersion.CLIENT_VERSION_3X.name()));
    item.put(MigrationState.MODIFIED_BY_ATTRIBUTE_NAME, AttributeValue.fromS(worker));
    item.put(
        MigrationState.MODIFIED_TIMESTAMP_ATTRIBUTE_NAME,
        AttributeValue.fromN(Long.toString(System.currentTimeMillis())));
    putIfAbsent(item);
  }

  /**
   * Puts an item unless one with its key exists, with the condition the KCL uses: when another
   * member (or the KCL itself) wrote it first, theirs stands.
   */
  private void putIfAbsent(Map<String, AttributeValue> item) {
    try {
      KinesisAdmin.join(
          dynamo.putItem(
              b ->
                  b.tableName(table)
                      .item(item)
                      .conditionExpression("attribute_not_exists(leaseKey)")));
    } catch (RuntimeException e) {
      if (!(KinesisErrors.unwrap(e) instanceof ConditionalCheckFailedException)) {
        throw e;
      }
    }
  }

  /**
   * Writes the leases the KCL would write into an empty table for this start position, with a given
   * position written in as the shard's checkpoint. Existing leases are left alone.
   */
  void seed(KinesisAsyncClient kinesis, String stream, StartPosition start) {
    StartPosition fallback =
        start.kind() == StartPosition.Kind.POSITIONS ? start.fallback() : start;
    ShardFilter filter;
    String sentinel;
    switch (fallback.kind()) {
      case LATEST:
        filter = ShardFilter.builder().type(ShardFilterType.AT_LATEST).build();
        sentinel = "LATEST";
        break;
      case AT_TIMESTAMP:
        filter =
            ShardFilter.builder()
                .type(ShardFilterType.AT_TIMESTAMP)
                .timestamp(fallback.timestamp())
                .build();
        sentinel = "AT_TIMESTAMP";
        break;
      default:
        filter = ShardFilter.builder().type(ShardFilterType.AT_TRIM_HORIZON).build();
        sentinel = "TRIM_HORIZON";
        break;
    }
    List<software.amazon.awssdk.services.kinesis.model.Shard> listed = new ArrayList<>();
    String token = null;
    do {
      String next = token;
      var page =
          KinesisAdmin.join(
              kinesis.listShards(
                  b -> {
                    if (next == null) {
                      b.streamName(stream).shardFilter(filter);
                    } else {
                      b.nextToken(next);
                    }
                  }));
      listed.addAll(page.shards());
      token = page.nextToken();
    } while (token != null);

    Map<String, software.amazon.awssdk.services.kinesis.model.Shard> byId = new HashMap<>();
    for (software.amazon.awssdk.services.kinesis.model.Shard s : listed) {
      byId.put(s.shardId(), s);
    }
    Map<Shard, Position> positions = start.positions();
    Set<String> doneAncestors = new HashSet<>();
    if (!positions.isEmpty()) {
      // Shards with a given position may be outside the filter's list, and their ancestors count
      // as read to the end: list everything once to find both.
      Map<String, software.amazon.awssdk.services.kinesis.model.Shard> all = new HashMap<>();
      for (software.amazon.awssdk.services.kinesis.model.Shard s :
          KinesisAdmin.listShards(kinesis, stream)) {
        all.put(s.shardId(), s);
      }
      List<String> todo = new ArrayList<>();
      for (Shard shard : positions.keySet()) {
        software.amazon.awssdk.services.kinesis.model.Shard s = all.get(shard.id());
        if (s == null) {
          throw new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Start position names shard " + shard + ", which stream '" + stream + "' has not");
        }
        byId.put(s.shardId(), s);
        todo.addAll(parentsOf(s));
      }
      while (!todo.isEmpty()) {
        String id = todo.remove(todo.size() - 1);
        software.amazon.awssdk.services.kinesis.model.Shard s = all.get(id);
        if (s != null && doneAncestors.add(id)) {
          byId.put(id, s);
          todo.addAll(parentsOf(s));
        }
      }
    }
    for (software.amazon.awssdk.services.kinesis.model.Shard s : byId.values()) {
      Position given = positions.get(Shard.of(s.shardId()));
      String checkpoint;
      long subSequence;
      if (given != null) {
        // The KCL reads AT_SEQUENCE_NUMBER of a checkpoint and drops records up to and including
        // it, so (seq, sub) starts after the record and (seq, sub - 1) at it; sub-sequence -1
        // sorts before every record of that sequence number.
        checkpoint = given.sequenceNumber();
        subSequence = start.isInclusive() ? given.subSequence() - 1 : given.subSequence();
      } else if (doneAncestors.contains(s.shardId())) {
        checkpoint = "SHARD_END";
        subSequence = 0;
      } else {
        checkpoint = sentinel;
        subSequence = 0;
      }
      putLease(s, checkpoint, subSequence);
    }
  }

  private static List<String> parentsOf(software.amazon.awssdk.services.kinesis.model.Shard s) {
    List<String> parents = new ArrayList<>();
    if (s.parentShardId() != null) {
      parents.add(s.parentShardId());
    }
    if (s.adjacentParentShardId() != null) {
      parents.add(s.adjacentParentShardId());
    }
    return parents;
  }

  private void putLease(
      software.amazon.awssdk.services.kinesis.model.Shard shard,
      String checkpoint,
      long subSequence) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put("leaseKey", AttributeValue.fromS(shard.shardId()));
    item.put("leaseCounter", AttributeValue.fromN("0"));
    item.put("ownerSwitchesSinceCheckpoint", AttributeValue.fromN("0"));
    item.put("checkpoint", AttributeValue.fromS(checkpoint));
    item.put("checkpointSubSequenceNumber", AttributeValue.fromN(Long.toString(subSequence)));
    item.put("startingHashKey", AttributeValue.fromS(shard.hashKeyRange().startingHashKey()));
    item.put("endingHashKey", AttributeValue.fromS(shard.hashKeyRange().endingHashKey()));
    item.put("entityType", AttributeValue.fromS("LEASE"));
    List<String> parents = parentsOf(shard);
    if (!parents.isEmpty()) {
      item.put("parentShardId", AttributeValue.fromSs(parents));
    }
    putIfAbsent(item);
  }

  /** The leases whose shards have not ended, with their owners (for {@link LeaseBalancer}). */
  List<LeaseBalancer.OpenLease> openLeases() {
    List<LeaseBalancer.OpenLease> leases = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse page =
          KinesisAdmin.join(
              dynamo.scan(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)));
      for (Map<String, AttributeValue> item : page.items()) {
        AttributeValue type = item.get("entityType");
        AttributeValue checkpoint = item.get("checkpoint");
        // Items of other kinds (client version, leader lock, worker metrics) are no leases; an old
        // table's leases may lack entityType but always have a checkpoint.
        boolean lease = type != null ? "LEASE".equals(type.s()) : checkpoint != null;
        if (!lease || (checkpoint != null && "SHARD_END".equals(checkpoint.s()))) {
          continue;
        }
        AttributeValue owner = item.get("leaseOwner");
        leases.add(
            new LeaseBalancer.OpenLease(
                item.get("leaseKey").s(),
                owner == null ? null : owner.s(),
                item.containsKey("checkpointOwner")));
      }
      start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
    } while (start != null && !start.isEmpty());
    return leases;
  }

  /**
   * Starts the KCL's graceful hand-off of a lease from {@code owner} to {@code newOwner}, as its
   * {@code DynamoDBLeaseRefresher.initiateGracefulLeaseHandoff} writes it: the new owner is set and
   * the old one becomes the checkpoint owner, who checkpoints what it processed and then lets go;
   * the lease counter is left alone so the old owner's renewals go on meanwhile. Returns false when
   * the lease changed since it was read (another member moved it first).
   */
  boolean takeOver(String leaseKey, String owner, String newOwner) {
    try {
      KinesisAdmin.join(
          dynamo.updateItem(
              b ->
                  b.tableName(table)
                      .key(Map.of("leaseKey", AttributeValue.fromS(leaseKey)))
                      .conditionExpression(
                          "attribute_exists(leaseKey) AND leaseOwner = :owner"
                              + " AND attribute_not_exists(checkpointOwner)")
                      .updateExpression("SET leaseOwner = :newOwner, checkpointOwner = :owner")
                      .expressionAttributeValues(
                          Map.of(
                              ":owner", AttributeValue.fromS(owner),
                              ":newOwner", AttributeValue.fromS(newOwner)))));
      return true;
    } catch (RuntimeException e) {
      if (KinesisErrors.unwrap(e) instanceof ConditionalCheckFailedException) {
        return false;
      }
      throw e;
    }
  }

  /** The attribute of a lease row that holds a deduplicating consumer's state and checkpoint. */
  static final String DEDUP_STATE = "sluiceDedupState";

  /** The deduplication state stored in the shard's lease row, or null if none. */
  byte @Nullable [] dedupState(String leaseKey) {
    Map<String, AttributeValue> item =
        KinesisAdmin.join(
                dynamo.getItem(
                    b ->
                        b.tableName(table)
                            .key(Map.of("leaseKey", AttributeValue.fromS(leaseKey)))
                            .consistentRead(true)
                            .projectionExpression(DEDUP_STATE)))
            .item();
    AttributeValue state = item == null ? null : item.get(DEDUP_STATE);
    return state == null || state.b() == null ? null : state.b().asByteArray();
  }

  /**
   * Stores a deduplication state (null: removes it) in the shard's lease row, in one conditional
   * write, if {@code worker} still holds the lease (as owner, or as the old owner finishing its
   * checkpoint during a hand-over). The state names the checkpoint it belongs to, so the row's
   * state and the checkpoint it goes with change together; the KCL's own checkpoint follows.
   *
   * @return false if the worker no longer holds the lease (nothing written)
   */
  boolean storeDedupState(String leaseKey, String worker, byte @Nullable [] state) {
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":me", AttributeValue.fromS(worker));
    String update;
    if (state == null) {
      update = "REMOVE " + DEDUP_STATE;
    } else {
      update = "SET " + DEDUP_STATE + " = :state";
      values.put(
          ":state",
          AttributeValue.fromB(software.amazon.awssdk.core.SdkBytes.fromByteArrayUnsafe(state)));
    }
    try {
      KinesisAdmin.join(
          dynamo.updateItem(
              b ->
                  b.tableName(table)
                      .key(Map.of("leaseKey", AttributeValue.fromS(leaseKey)))
                      .conditionExpression("leaseOwner = :me OR checkpointOwner = :me")
                      .updateExpression(update)
                      .expressionAttributeValues(values)));
      return true;
    } catch (RuntimeException e) {
      if (KinesisErrors.unwrap(e) instanceof ConditionalCheckFailedException) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Gives up every lease {@code worker} still owns so others can take them at once. Returns how
   * many were released.
   */
  int release(String worker) {
    List<String> keys = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      QueryResponse page =
          KinesisAdmin.join(
              dynamo.query(
                  b ->
                      b.tableName(table)
                          .indexName(INDEX)
                          .keyConditionExpression("leaseOwner = :owner")
                          .expressionAttributeValues(Map.of(":owner", AttributeValue.fromS(worker)))
                          .exclusiveStartKey(from)));
      for (Map<String, AttributeValue> item : page.items()) {
        keys.add(item.get("leaseKey").s());
      }
      start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
    } while (start != null && !start.isEmpty());
    int released = 0;
    for (String key : keys) {
      try {
        KinesisAdmin.join(
            dynamo.updateItem(
                b ->
                    b.tableName(table)
                        .key(Map.of("leaseKey", AttributeValue.fromS(key)))
                        .updateExpression(
                            "REMOVE leaseOwner, checkpointOwner ADD leaseCounter :one")
                        .conditionExpression("leaseOwner = :owner")
                        .expressionAttributeValues(
                            Map.of(
                                ":owner", AttributeValue.fromS(worker),
                                ":one", AttributeValue.fromN("1")))));
        released++;
      } catch (RuntimeException e) {
        if (!(KinesisErrors.unwrap(e) instanceof ConditionalCheckFailedException)) {
          throw e;
        }
        // Taken over meanwhile.
      }
    }
    return released;
  }

  // ------------------------------------------------------------------ group admin

  /** True if the table exists. */
  boolean exists() {
    return describe() != null;
  }

  /** Every lease item (items of other kinds left out), read consistently. */
  List<Map<String, AttributeValue>> leaseItems() {
    List<Map<String, AttributeValue>> leases = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse page =
          KinesisAdmin.join(
              dynamo.scan(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)));
      for (Map<String, AttributeValue> item : page.items()) {
        AttributeValue type = item.get("entityType");
        boolean lease = type != null ? "LEASE".equals(type.s()) : item.containsKey("checkpoint");
        if (lease) {
          leases.add(item);
        }
      }
      start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
    } while (start != null && !start.isEmpty());
    return leases;
  }

  /**
   * Writes a new checkpoint into a lease nobody owns, dropping any pending checkpoint and bumping
   * the counter as a KCL checkpoint write does. Returns false if the lease has an owner (a member
   * took it since it was read): the condition is the only guard DynamoDB offers without
   * transactions.
   */
  boolean rewriteCheckpoint(String leaseKey, String checkpoint, long subSequence) {
    try {
      KinesisAdmin.join(
          dynamo.updateItem(
              b ->
                  b.tableName(table)
                      .key(Map.of("leaseKey", AttributeValue.fromS(leaseKey)))
                      .conditionExpression(
                          "attribute_exists(leaseKey) AND attribute_not_exists(leaseOwner)")
                      .updateExpression(
                          "SET checkpoint = :c, checkpointSubSequenceNumber = :s,"
                              + " ownerSwitchesSinceCheckpoint = :zero"
                              + " REMOVE pendingCheckpoint, pendingCheckpointSubSequenceNumber,"
                              + " pendingCheckpointState, checkpointOwner"
                              + " ADD leaseCounter :one")
                      .expressionAttributeValues(
                          Map.of(
                              ":c", AttributeValue.fromS(checkpoint),
                              ":s", AttributeValue.fromN(Long.toString(subSequence)),
                              ":zero", AttributeValue.fromN("0"),
                              ":one", AttributeValue.fromN("1")))));
      return true;
    } catch (RuntimeException e) {
      if (KinesisErrors.unwrap(e) instanceof ConditionalCheckFailedException) {
        return false;
      }
      throw e;
    }
  }

  /** Deletes the table. */
  void delete() {
    KinesisAdmin.join(dynamo.deleteTable(b -> b.tableName(table)));
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }

  private static AttributeDefinition attribute(String name) {
    return AttributeDefinition.builder()
        .attributeName(name)
        .attributeType(software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType.S)
        .build();
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted", e);
    }
  }
}
