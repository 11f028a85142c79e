package dev.sluice.kinesis.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.nio.ByteBuffer;
import java.time.Instant;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/** Turns Kinesis records (deaggregated by the KCL's rules) into Sluice records. */
final class Records {
  private Records() {}

  static Record<byte[], byte[]> toSluice(String stream, Shard shard, KinesisClientRecord r) {
    return toSluice(stream, shard, r, body(r));
  }

  /** The record's data, read as an envelope (or a plain value). */
  static Envelope.Body body(KinesisClientRecord r) {
    ByteBuffer data = r.data().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return Envelope.decode(bytes);
  }

  static Record<byte[], byte[]> toSluice(
      String stream, Shard shard, KinesisClientRecord r, Envelope.Body body) {
    Instant arrival = r.approximateArrivalTimestamp();
    return Record.received(
        stream,
        shard,
        position(r),
        PartitionKeys.fromPartitionKey(r.partitionKey()),
        body.value,
        body.headers,
        body.timestampMillis != Record.NO_TIMESTAMP
            ? body.timestampMillis
            : arrival == null ? Record.NO_TIMESTAMP : arrival.toEpochMilli());
  }

  /** Sequence number plus, for a record from a KPL aggregate, its sub-sequence. */
  static Position position(KinesisClientRecord r) {
    return Position.of(r.sequenceNumber(), r.aggregated() ? r.subSequenceNumber() : 0);
  }
}
