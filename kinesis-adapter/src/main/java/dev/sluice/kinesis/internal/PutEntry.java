package dev.sluice.kinesis.internal;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * One entry of a {@code PutRecords} call: a record on its own, or several records for one shard
 * packed into a KPL aggregate ({@link KplAggregate}). It is stored or fails as a whole. Each record
 * in an aggregate keeps its own data, envelope and write id included, so readers get it back as it
 * would have been sent alone.
 */
final class PutEntry {
  /** The records it carries, in their queue order. */
  final List<PendingRecord> members;

  /** True for a KPL aggregate (even of one record, never built: a lone record goes as it is). */
  final boolean aggregated;

  final PutRecordsRequestEntry entry;

  /** Bytes Kinesis counts: data plus partition key. */
  final long size;

  private PutEntry(PendingRecord single) {
    this.members = List.of(single);
    this.aggregated = false;
    this.entry = single.entry();
    this.size = single.size;
  }

  private PutEntry(List<PendingRecord> members, KplAggregate aggregate) {
    this.members = members;
    this.aggregated = true;
    this.entry =
        PutRecordsRequestEntry.builder()
            .partitionKey(aggregate.partitionKey())
            .explicitHashKey(aggregate.hashKey().toString())
            .data(SdkBytes.fromByteArrayUnsafe(aggregate.toBytes()))
            .build();
    this.size = aggregate.size();
  }

  /**
   * The head of a shard's queue as one call's entries, at most {@code maxEntries} and {@code
   * maxBytes} (the first entry always), oldest first. With aggregation ({@code maxAggregateBytes >
   * 0}) consecutive records share aggregates of up to that size; a record that would sit alone in
   * one is sent as it is. Every record is encoded (routed) already.
   */
  static List<PutEntry> pack(
      Iterable<PendingRecord> queue, int maxAggregateBytes, int maxEntries, long maxBytes) {
    List<PutEntry> puts = new ArrayList<>();
    long bytes = 0;
    if (maxAggregateBytes <= 0) {
      for (PendingRecord p : queue) {
        if (puts.size() == maxEntries || (!puts.isEmpty() && bytes + p.size > maxBytes)) {
          break;
        }
        puts.add(new PutEntry(p));
        bytes += p.size;
      }
      return puts;
    }
    List<PendingRecord> members = new ArrayList<>();
    KplAggregate aggregate = new KplAggregate(maxAggregateBytes);
    for (PendingRecord p : queue) {
      if (aggregate.tryAdd(p.partitionKey, p.explicitHashKey, p.hashKey(), p.data)) {
        members.add(p);
        continue;
      }
      PutEntry done = finish(members, aggregate);
      if (puts.size() == maxEntries || (!puts.isEmpty() && bytes + done.size > maxBytes)) {
        return puts;
      }
      puts.add(done);
      bytes += done.size;
      members = new ArrayList<>();
      aggregate = new KplAggregate(maxAggregateBytes);
      aggregate.tryAdd(p.partitionKey, p.explicitHashKey, p.hashKey(), p.data);
      members.add(p);
    }
    if (!members.isEmpty()) {
      PutEntry done = finish(members, aggregate);
      if (puts.size() < maxEntries && (puts.isEmpty() || bytes + done.size <= maxBytes)) {
        puts.add(done);
      }
    }
    return puts;
  }

  private static PutEntry finish(List<PendingRecord> members, KplAggregate aggregate) {
    return members.size() == 1 ? new PutEntry(members.get(0)) : new PutEntry(members, aggregate);
  }
}
