package dev.sluice.reliability;

import dev.sluice.Producer;
import dev.sluice.SendResult;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what was sent, acknowledged, failed and received, per key, and checks per-key order: among
 * the records of one key, first deliveries must come in send order (redeliveries after a failure or
 * rebalance are counted as duplicates, not as disorder).
 */
final class Ledger {
  private final Map<String, KeyLog> keys = new ConcurrentHashMap<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final List<String> disorder = new ArrayList<>();
  private final List<String> duplicateSamples = new ArrayList<>();
  private final Map<String, Long> failures = new ConcurrentHashMap<>();

  private static final class KeyLog {
    final BitSet acked = new BitSet();
    final BitSet seen = new BitSet();
    int maxSeen = -1;
  }

  /** The value that carries a record's key and sequence. */
  static String value(String key, int seq, int padTo) {
    StringBuilder sb = new StringBuilder(key).append(':').append(seq).append(':');
    while (sb.length() < padTo) {
      sb.append('x');
    }
    return sb.toString();
  }

  void sent() {
    sent.incrementAndGet();
  }

  /** Sends record {@code seq} of {@code key} and books the outcome: acknowledged or failed. */
  CompletableFuture<SendResult> send(
      Producer<String, String> producer, String key, int seq, int padTo) {
    sent();
    return producer
        .send(key, value(key, seq, padTo))
        .whenComplete(
            (ok, e) -> {
              if (e == null) {
                acked(key, seq);
              } else {
                failed(e);
              }
            });
  }

  void acked(String key, int seq) {
    KeyLog log = keys.computeIfAbsent(key, k -> new KeyLog());
    synchronized (log) {
      log.acked.set(seq);
    }
    acked.incrementAndGet();
  }

  void failed(Throwable error) {
    failed.incrementAndGet();
    failures.merge(String.valueOf(error.getMessage()), 1L, Long::sum);
  }

  /** Records a delivery of a value written by {@link #value}. */
  void received(String value) {
    int first = value.indexOf(':');
    int second = value.indexOf(':', first + 1);
    String key = value.substring(0, first);
    int seq = Integer.parseInt(value.substring(first + 1, second));
    received.incrementAndGet();
    KeyLog log = keys.computeIfAbsent(key, k -> new KeyLog());
    synchronized (log) {
      if (log.seen.get(seq)) {
        duplicates.incrementAndGet();
        synchronized (duplicateSamples) {
          if (duplicateSamples.size() < 10) {
            duplicateSamples.add(key + ":" + seq);
          }
        }
        return;
      }
      log.seen.set(seq);
      if (seq < log.maxSeen) {
        synchronized (disorder) {
          if (disorder.size() < 10) {
            disorder.add(key + ": " + seq + " arrived after " + log.maxSeen);
          }
        }
      }
      log.maxSeen = Math.max(log.maxSeen, seq);
    }
  }

  long sentCount() {
    return sent.get();
  }

  long ackedCount() {
    return acked.get();
  }

  long failedCount() {
    return failed.get();
  }

  long receivedCount() {
    return received.get();
  }

  long duplicateCount() {
    return duplicates.get();
  }

  /** Acknowledged records not (yet) received. */
  long missingCount() {
    long missing = 0;
    for (KeyLog log : keys.values()) {
      synchronized (log) {
        BitSet m = (BitSet) log.acked.clone();
        m.andNot(log.seen);
        missing += m.cardinality();
      }
    }
    return missing;
  }

  List<String> disorder() {
    synchronized (disorder) {
      return List.copyOf(disorder);
    }
  }

  /** The first few records received twice, as key:seq, in the order their second copies came. */
  List<String> duplicateSamples() {
    synchronized (duplicateSamples) {
      return List.copyOf(duplicateSamples);
    }
  }

  Map<String, Long> failures() {
    return Map.copyOf(failures);
  }

  @Override
  public String toString() {
    return String.format(
        "sent=%d acked=%d failed=%d received=%d duplicates=%d %s missing=%d disorder=%s"
            + " failures=%s",
        sentCount(),
        ackedCount(),
        failedCount(),
        receivedCount(),
        duplicateCount(),
        duplicateSamples(),
        missingCount(),
        disorder(),
        failures());
  }
}
