package dev.sluice.kinesis.internal;

import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * Drops a KPL aggregate that holds a record outside the hash-key range of the shard it was read
 * from, whole, for a group consumer: always, where the KCL does so only sometimes.
 *
 * <p>An aggregate is put with one explicit hash key, so when a reshard closes the shard it was
 * built for, it lands on a child that may not cover every record in it. The KCL's deaggregator then
 * drops the whole aggregate (at the first record outside the range it takes back those it had split
 * off), and producers count on that: the KPL, and Sluice's {@link LandedAggregates}, send every
 * record of such an aggregate again, to the shard that covers it. But the KCL's {@code ProcessTask}
 * applies the range only when its shard detector's cache knows the shard; a child born after the
 * cache was last listed (it is listed again after 30 s or 1,000 misses) is unknown, and the
 * aggregate is then delivered whole, so its records are read twice. Applying the rule here always
 * makes Sluice's group consumers read what its standalone consumers read (they pass the range to
 * the KCL's deaggregator) and what its producer counts on.
 *
 * <p>One per stream and consumer; the ranges come from {@code ListShards}, listed again when a
 * shard is not known yet. Thread-safe.
 */
final class AggregateRangeFilter {
  private static final Logger LOG = LoggerFactory.getLogger(AggregateRangeFilter.class);
  private static final int LIST_ATTEMPTS = 8;

  private final KinesisAsyncClient kinesis;
  private final String stream;
  private volatile @Nullable ShardMap map;

  AggregateRangeFilter(KinesisAsyncClient kinesis, String stream) {
    this.kinesis = kinesis;
    this.stream = stream;
  }

  /**
   * The records to deliver from a shard's batch: all but those of aggregates that hold a record
   * outside {@code shard}'s range. {@code stop} ends the wait for a range that cannot be listed;
   * the batch then goes unfiltered (a duplicate rather than a loss).
   */
  List<KinesisClientRecord> filter(
      Shard shard, List<KinesisClientRecord> records, BooleanSupplier stop) {
    boolean aggregated = false;
    for (KinesisClientRecord r : records) {
      aggregated |= r.aggregated();
    }
    if (!aggregated) {
      return records;
    }
    HashKeyRange range = range(shard, stop);
    if (range == null) {
      LOG.warn(
          "The hash-key range of shard {} of '{}' could not be listed: its aggregated records are"
              + " delivered unfiltered",
          shard,
          stream);
      return records;
    }
    List<KinesisClientRecord> kept = new ArrayList<>(records.size());
    int i = 0;
    while (i < records.size()) {
      KinesisClientRecord first = records.get(i);
      if (!first.aggregated()) {
        kept.add(first);
        i++;
        continue;
      }
      // The records split from one aggregate share its sequence number and follow each other.
      int end = i + 1;
      while (end < records.size()
          && records.get(end).aggregated()
          && records.get(end).sequenceNumber().equals(first.sequenceNumber())) {
        end++;
      }
      List<KinesisClientRecord> aggregate = records.subList(i, end);
      if (aggregate.stream().allMatch(r -> range.contains(hashKey(r)))) {
        kept.addAll(aggregate);
      } else {
        LOG.debug(
            "Dropped an aggregate ({} records) read from shard {} of '{}' at {}: it holds records"
                + " outside the shard's hash-key range, which its producer sends again",
            aggregate.size(),
            shard,
            stream,
            first.sequenceNumber());
      }
      i = end;
    }
    return kept;
  }

  /** Where a record routes: its explicit hash key, or the MD5 of its partition key. */
  static BigInteger hashKey(KinesisClientRecord r) {
    String explicit = r.explicitHashKey();
    return explicit != null ? new BigInteger(explicit) : ShardMap.hashKey(r.partitionKey());
  }

  private @Nullable HashKeyRange range(Shard shard, BooleanSupplier stop) {
    ShardMap known = map;
    ShardMap.Entry entry = known == null ? null : known.get(shard);
    for (int attempt = 1; entry == null && attempt <= LIST_ATTEMPTS; attempt++) {
      try {
        known = KinesisAdmin.shardMap(kinesis, stream);
        map = known;
        entry = known.get(shard);
        if (entry == null) {
          return null; // Listed, and not there: deleted, or not this stream's.
        }
      } catch (RuntimeException e) {
        LOG.debug("Listing the shards of '{}' failed: {}", stream, e.toString());
        if (stop.getAsBoolean() || !sleep(100L << Math.min(attempt, 4))) {
          return null;
        }
      }
    }
    return entry == null ? null : entry.range;
  }

  private static boolean sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
