package dev.sluice.benchmarks;

import dev.sluice.Producer;
import dev.sluice.SendResult;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * What every side of a comparison sends: the same keys, cycled, and values of the same size whose
 * first 8 bytes are the {@link System#nanoTime()} of the send (for end-to-end latency; producer and
 * consumer run in the same JVM). The rest of a value is random, so compression has real work.
 */
final class Workload {
  private final byte[][] keys;
  private final String[] keyStrings;
  private final byte[] filler;
  final int recordSize;

  Workload(int keyCount, int recordSize) {
    this.recordSize = recordSize;
    this.keys = new byte[keyCount][];
    this.keyStrings = new String[keyCount];
    for (int i = 0; i < keyCount; i++) {
      keyStrings[i] = String.format("key-%08d", i);
      keys[i] = keyStrings[i].getBytes(StandardCharsets.UTF_8);
    }
    this.filler = new byte[recordSize];
    new SplittableRandom(42).nextBytes(filler);
  }

  byte[] key(long i) {
    return keys[(int) (i % keys.length)];
  }

  /** The key as text (a Kinesis partition key). */
  String keyString(long i) {
    return keyStrings[(int) (i % keyStrings.length)];
  }

  /**
   * A fresh value stamped with now; every side allocates one per record, as an application does.
   */
  byte[] value() {
    byte[] v = filler.clone();
    stamp(v, System.nanoTime());
    return v;
  }

  /**
   * Sends records 0..n-1 of this workload through a Sluice producer as fast as it takes them, each
   * reported to one shared callback ({@code send(key, value, onComplete)}, what {@code
   * KafkaProducer.send(record, callback)} is to Kafka), then flushes. Returns the elapsed
   * nanoseconds; throws if any send failed.
   */
  long sendAll(Producer<byte[], byte[]> producer, int n, Progress progress, String label) {
    return send(producer, n, progress, label, false);
  }

  /** As {@link #sendAll}, but with the future of each send and {@code whenComplete}. */
  long sendAllWithFutures(
      Producer<byte[], byte[]> producer, int n, Progress progress, String label) {
    return send(producer, n, progress, label, true);
  }

  private long send(
      Producer<byte[], byte[]> producer, int n, Progress progress, String label, boolean futures) {
    AtomicLong failed = new AtomicLong();
    AtomicReference<Throwable> error = new AtomicReference<>();
    BiConsumer<SendResult, Throwable> callback =
        (result, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            error.compareAndSet(null, e);
          }
        };
    AtomicLong sent = new AtomicLong();
    progress.start(label, n, sent::get);
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      if (futures) {
        producer.send(key(i), value()).whenComplete(callback);
      } else {
        producer.send(key(i), value(), callback);
      }
      sent.lazySet(i + 1);
    }
    producer.flush();
    long nanos = System.nanoTime() - start;
    if (failed.get() > 0) {
      throw new IllegalStateException(label + ": " + failed.get() + " sends failed", error.get());
    }
    return nanos;
  }

  /** Bytes on the wire per record, key and value, for MB/s. */
  long bytesPerRecord() {
    return recordSize + keys[0].length;
  }

  /** CPU time this JVM has used so far, all threads, in nanoseconds. */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static void stamp(byte[] v, long nanos) {
    for (int i = 7; i >= 0; i--) {
      v[i] = (byte) nanos;
      nanos >>>= 8;
    }
  }

  /** The send time stamped into a value. */
  static long sentNanos(byte[] v) {
    long n = 0;
    for (int i = 0; i < 8; i++) {
      n = (n << 8) | (v[i] & 0xFF);
    }
    return n;
  }
}
