package dev.sluice.kafka.internal;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.SizedBatch;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One partition's records of a poll, made Sluice records as they are read. The poll thread serves
 * every shard, so it only hands Kafka's records over; each shard's worker builds the records it
 * handles, in parallel, where building them on the poll thread capped the whole consumer (the
 * benchmark's consume rate stopped at ~6M rec/s where the raw consumer reached 7M+). Kafka's
 * records are immutable once polled, so another thread may read them. A record with headers is
 * built at once, on the poll thread: Kafka reads header values lazily, as slices of the fetch
 * response, and one such record waiting in a queue would keep the whole response (up to {@code
 * fetch.max.bytes}) in memory; building it copies them. Each record is built once (a pull consumer
 * reads the whole batch on the poll thread); two threads building the same one at once would each
 * make an equal record. Its size comes from Kafka's record, so counting received bytes builds
 * nothing.
 */
final class ReceivedBatch extends AbstractList<Record<byte[], byte[]>>
    implements RandomAccess, SizedBatch {
  private final String topic;
  private final Shard shard;
  private final List<ConsumerRecord<byte[], byte[]>> records;
  private final Record<?, ?>[] built;

  ReceivedBatch(String topic, Shard shard, List<ConsumerRecord<byte[], byte[]>> records) {
    this.topic = topic;
    this.shard = shard;
    this.records = records;
    this.built = new Record<?, ?>[records.size()];
    for (int i = 0; i < built.length; i++) {
      if (records.get(i).headers().toArray().length > 0) {
        get(i);
      }
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public Record<byte[], byte[]> get(int index) {
    Record<byte[], byte[]> made = (Record<byte[], byte[]>) built[index];
    if (made == null) {
      ConsumerRecord<byte[], byte[]> r = records.get(index);
      made =
          Record.received(
              topic,
              shard,
              Position.of(r.offset()),
              r.key(),
              r.value(), // null: a tombstone
              headers(r),
              // Kafka's -1 means "no timestamp" (only old message formats have none).
              r.timestamp() < 0 ? Record.NO_TIMESTAMP : r.timestamp());
      built[index] = made;
    }
    return made;
  }

  @Override
  public int size() {
    return records.size();
  }

  @Override
  public long keyAndValueBytes() {
    // Kafka's sizes are -1 for a missing key or value (Sluice reads a missing value as empty).
    long bytes = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      bytes += Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
    }
    return bytes;
  }

  private static Headers headers(ConsumerRecord<byte[], byte[]> r) {
    Header[] native_ = r.headers().toArray();
    if (native_.length == 0) {
      return Headers.empty();
    }
    Headers.Builder b = Headers.builder();
    for (Header h : native_) {
      b.add(h.key(), h.value() == null ? new byte[0] : h.value());
    }
    return b.build();
  }
}
