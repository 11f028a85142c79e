package dev.sluice.kinesis.internal;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One Kinesis record being filled with user records in the KPL aggregation format, the format the
 * KCL, the KPL's deaggregators in other languages and Sluice's own readers split again:
 *
 * <pre>
 * magic   4 bytes  0xF3 0x89 0x9A 0xC2
 * message          protobuf AggregatedRecord {
 *                    repeated string partition_key_table = 1;
 *                    repeated string explicit_hash_key_table = 2;   // decimal
 *                    repeated Record records = 3;
 *                  }
 *                  Record { uint64 partition_key_index = 1; optional uint64
 *                           explicit_hash_key_index = 2; bytes data = 3; }
 * digest 16 bytes  MD5 of the message
 * </pre>
 *
 * Encoded by hand: four field kinds of protobuf's wire format, so no generated code and no build
 * step; the tests read the result with the KCL's own deaggregator. Every record added must be bound
 * for the same shard: a reader drops a record whose hash key is outside the shard it read the
 * aggregate from. The Kinesis record's own partition key is the first record's, and its explicit
 * hash key the first record's hash key, inside that shard.
 */
final class KplAggregate {
  /** The Kinesis record limit, data plus partition key. */
  static final int MAX_BYTES = 1024 * 1024;

  private static final int DIGEST_BYTES = 16;

  private final int maxBytes;
  private final Map<String, Integer> partitionKeys = new LinkedHashMap<>();
  private final Map<String, Integer> hashKeys = new LinkedHashMap<>();
  private final List<byte[]> records = new ArrayList<>();
  private @Nullable String partitionKey;
  private @Nullable BigInteger hashKey;

  /** Bytes of the protobuf message so far. */
  private long messageBytes;

  /**
   * @param maxBytes the largest aggregate, its partition key included
   */
  KplAggregate(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * Adds a record if the aggregate stays within its limit (the first always goes in; the caller
   * sends a lone record as it is).
   *
   * @param partitionKey the record's partition key
   * @param explicitHashKey its explicit hash key, or null if it routes by its partition key
   * @param hashKey where it routes (the explicit one, or the MD5 of the partition key)
   * @param data its data (envelope included)
   * @return whether it was added
   */
  boolean tryAdd(
      String partitionKey, @Nullable BigInteger explicitHashKey, BigInteger hashKey, byte[] data) {
    long added = 0;
    Integer pkIndex = partitionKeys.get(partitionKey);
    if (pkIndex == null) {
      pkIndex = partitionKeys.size();
      added += field(utf8Length(partitionKey));
    }
    String ehk = explicitHashKey == null ? null : explicitHashKey.toString();
    Integer ehkIndex = ehk == null ? null : hashKeys.get(ehk);
    if (ehk != null && ehkIndex == null) {
      ehkIndex = hashKeys.size();
      added += field(ehk.length());
    }
    long record =
        1
            + varintLength(pkIndex)
            + (ehkIndex == null ? 0 : 1 + varintLength(ehkIndex))
            + field(data.length);
    added += field(record);
    if (!records.isEmpty() && size(messageBytes + added) > maxBytes) {
      return false;
    }
    if (this.partitionKey == null) {
      this.partitionKey = partitionKey;
      this.hashKey = hashKey;
    }
    partitionKeys.putIfAbsent(partitionKey, pkIndex);
    if (ehk != null) {
      hashKeys.putIfAbsent(ehk, ehkIndex);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) record);
    out.write(0x08);
    writeVarint(out, pkIndex);
    if (ehkIndex != null) {
      out.write(0x10);
      writeVarint(out, ehkIndex);
    }
    out.write(0x1A);
    writeVarint(out, data.length);
    out.writeBytes(data);
    records.add(out.toByteArray());
    messageBytes += added;
    return true;
  }

  /** How many records it holds. */
  int count() {
    return records.size();
  }

  /** The Kinesis record's partition key: the first record's. */
  String partitionKey() {
    return partitionKey;
  }

  /** The Kinesis record's explicit hash key: the first record's hash key, inside the shard. */
  BigInteger hashKey() {
    return hashKey;
  }

  /** Data plus partition key, as Kinesis counts the record. */
  long size() {
    return size(messageBytes);
  }

  private long size(long message) {
    return Envelope.KPL_MAGIC.length
        + message
        + DIGEST_BYTES
        + (partitionKey == null ? 0 : utf8Length(partitionKey));
  }

  /** The Kinesis record's data: magic, message, MD5 of the message. */
  byte[] toBytes() {
    ByteArrayOutputStream message = new ByteArrayOutputStream((int) messageBytes);
    for (String key : partitionKeys.keySet()) {
      writeBytes(message, 0x0A, key.getBytes(StandardCharsets.UTF_8));
    }
    for (String key : hashKeys.keySet()) {
      writeBytes(message, 0x12, key.getBytes(StandardCharsets.US_ASCII));
    }
    for (byte[] record : records) {
      writeBytes(message, 0x1A, record);
    }
    byte[] body = message.toByteArray();
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(Envelope.KPL_MAGIC.length + body.length + DIGEST_BYTES);
    out.writeBytes(Envelope.KPL_MAGIC);
    out.writeBytes(body);
    out.writeBytes(md5(body));
    return out.toByteArray();
  }

  private static void writeBytes(ByteArrayOutputStream out, int tag, byte[] bytes) {
    out.write(tag);
    writeVarint(out, bytes.length);
    out.writeBytes(bytes);
  }

  /** Tag, length and body of a length-delimited field whose body is {@code length} bytes. */
  private static long field(long length) {
    return 1 + varintLength(length) + length;
  }

  private static int varintLength(long value) {
    int n = 1;
    while ((value >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static byte[] md5(byte[] bytes) {
    try {
      return MessageDigest.getInstance("MD5").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Every Java runtime has MD5", e);
    }
  }
}
