package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.ErrorCode;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/** The portable admin: validation and error mapping around the backend's admin driver. */
final class ValidatingAdmin implements StreamAdmin {
  private final SluiceRuntime runtime;
  private final StreamAdmin driver;

  ValidatingAdmin(SluiceRuntime runtime, StreamAdmin driver) {
    this.runtime = runtime;
    this.driver = driver;
  }

  @Override
  public void createStream(String stream, StreamSpec spec) {
    Validation.streamName(stream);
    Validation.notNull(spec, "spec");
    if (spec.shards() < 1) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "A stream needs at least one shard, not " + spec.shards());
    }
    if (spec.cleanupPolicy() == StreamSpec.CleanupPolicy.COMPACT
        && !runtime.capabilities().supports(Capabilities.Capability.COMPACTION)) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "Backend '"
              + runtime.backendName()
              + "' cannot compact a stream (no COMPACTION capability): create '"
              + stream
              + "' with the DELETE cleanup policy");
    }
    Duration retention = spec.retention();
    if (retention != null && spec.cleanupPolicy() == StreamSpec.CleanupPolicy.COMPACT) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Stream '"
              + stream
              + "': a compacted stream keeps the latest record of every key however old; a"
              + " retention applies only to the DELETE cleanup policy");
    }
    if (retention != null) {
      checkRetention(retention);
    }
    run(() -> driver.createStream(stream, spec));
  }

  @Override
  public StreamDescription describeStream(String stream) {
    Validation.streamName(stream);
    return call(() -> driver.describeStream(stream));
  }

  @Override
  public boolean exists(String stream) {
    Validation.streamName(stream);
    return call(() -> driver.exists(stream));
  }

  @Override
  public List<String> listStreams() {
    return call(driver::listStreams);
  }

  @Override
  public void deleteStream(String stream) {
    Validation.streamName(stream);
    run(() -> driver.deleteStream(stream));
  }

  @Override
  public void setShardCount(String stream, int shards) {
    Validation.streamName(stream);
    if (shards < 1) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "A stream needs at least one shard, not " + shards);
    }
    run(() -> driver.setShardCount(stream, shards));
  }

  @Override
  public void setRetention(String stream, Duration retention) {
    Validation.streamName(stream);
    Validation.notNull(retention, "retention");
    checkRetention(retention);
    // Describing first gives NOT_FOUND for a missing stream and shows its cleanup policy.
    StreamDescription current = describeStream(stream);
    if (current.cleanupPolicy() == StreamSpec.CleanupPolicy.COMPACT) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Stream '"
              + stream
              + "' is compacted: it keeps the latest record of every key however old; a retention"
              + " applies only to the DELETE cleanup policy");
    }
    run(() -> driver.setRetention(stream, retention));
  }

  /** A retention must be positive and within the backend's bounds, checked before the broker. */
  private void checkRetention(Duration retention) {
    if (retention.isNegative() || retention.isZero()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Retention must be positive, not " + retention);
    }
    Capabilities caps = runtime.capabilities();
    Duration min = caps.minRetention();
    Duration max = caps.maxRetention();
    if ((min != null && retention.compareTo(min) < 0)
        || (max != null && retention.compareTo(max) > 0)) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Retention "
              + retention
              + " is outside what backend '"
              + runtime.backendName()
              + "' allows: "
              + (min == null ? "0" : min)
              + " to "
              + (max == null ? "unlimited" : max));
    }
  }

  @Override
  public void splitShard(String stream, Shard shard) {
    Validation.streamName(stream);
    Validation.notNull(shard, "shard");
    requireSplitAndMerge("split a shard");
    run(() -> driver.splitShard(stream, shard));
  }

  @Override
  public void mergeShards(String stream, Shard first, Shard second) {
    Validation.streamName(stream);
    Validation.notNull(first, "first");
    Validation.notNull(second, "second");
    if (first.equals(second)) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Cannot merge shard " + first + " with itself");
    }
    requireSplitAndMerge("merge shards");
    run(() -> driver.mergeShards(stream, first, second));
  }

  private void requireSplitAndMerge(String what) {
    if (!runtime.capabilities().canSplitAndMerge()) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "Backend '"
              + runtime.backendName()
              + "' cannot "
              + what
              + ": it has no hash-key ranges; use setShardCount to add shards");
    }
  }

  private void run(Runnable action) {
    call(
        () -> {
          action.run();
          return null;
        });
  }

  private <T> T call(Supplier<T> action) {
    runtime.checkOpen();
    try {
      return action.get();
    } catch (RuntimeException e) {
      throw runtime.translate(e);
    }
  }
}
