package dev.sluice.kinesis.internal;

import java.time.Duration;

/** What the batcher needs to know; see the matching {@code sluice.kinesis.*} keys. */
final class BatcherSettings {
  final Duration linger;
  final Duration deliveryTimeout;
  final Duration backoff;
  final Duration backoffMax;
  final long bufferMaxBytes;

  /** The largest KPL aggregate, or 0 to send each record as its own Kinesis record. */
  final int aggregationMaxBytes;

  BatcherSettings(
      Duration linger,
      Duration deliveryTimeout,
      Duration backoff,
      Duration backoffMax,
      long bufferMaxBytes) {
    this(linger, deliveryTimeout, backoff, backoffMax, bufferMaxBytes, 0);
  }

  BatcherSettings(
      Duration linger,
      Duration deliveryTimeout,
      Duration backoff,
      Duration backoffMax,
      long bufferMaxBytes,
      int aggregationMaxBytes) {
    this.linger = linger;
    this.deliveryTimeout = deliveryTimeout;
    this.backoff = backoff;
    this.backoffMax = backoffMax;
    this.bufferMaxBytes = bufferMaxBytes;
    this.aggregationMaxBytes = aggregationMaxBytes;
  }
}
