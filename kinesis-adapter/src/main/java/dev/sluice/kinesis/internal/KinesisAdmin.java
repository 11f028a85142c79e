package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ScalingType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Streams on the Kinesis API. Every call waits until the stream is {@code ACTIVE} again, polling
 * {@code DescribeStreamSummary} every 50 ms (the SDK's waiter sleeps 10 s between checks).
 */
final class KinesisAdmin implements StreamAdmin {
  private static final long POLL_MILLIS = 50;
  private static final int DEFAULT_RETENTION_HOURS = 24;
  private static final Duration WAIT_LIMIT = Duration.ofMinutes(10);

  private final KinesisAsyncClient kinesis;

  KinesisAdmin(KinesisAsyncClient kinesis) {
    this.kinesis = kinesis;
  }

  @Override
  public void createStream(String stream, StreamSpec spec) {
    Duration retention = spec.retention();
    // Checked before the stream exists, so that a refused retention leaves nothing behind.
    int hours = retention == null ? DEFAULT_RETENTION_HOURS : wholeHours(retention);
    try {
      join(kinesis.createStream(b -> b.streamName(stream).shardCount(spec.shards())));
    } catch (RuntimeException e) {
      if (KinesisErrors.unwrap(e) instanceof ResourceInUseException) {
        throw new SluiceException(
            ErrorCode.ALREADY_EXISTS, "Stream '" + stream + "' already exists", e);
      }
      throw e;
    }
    awaitActive(stream);
    // A new stream keeps 24 hours, the least Kinesis allows: only a longer one needs a call.
    if (hours > DEFAULT_RETENTION_HOURS) {
      join(
          kinesis.increaseStreamRetentionPeriod(
              b -> b.streamName(stream).retentionPeriodHours(hours)));
      awaitActive(stream);
    }
  }

  @Override
  public StreamDescription describeStream(String stream) {
    StreamDescriptionSummary summary = summary(stream);
    List<ShardDescription> shards = new ArrayList<>();
    for (software.amazon.awssdk.services.kinesis.model.Shard s : listShards(kinesis, stream)) {
      List<Shard> parents = new ArrayList<>();
      if (s.parentShardId() != null) {
        parents.add(Shard.of(s.parentShardId()));
      }
      if (s.adjacentParentShardId() != null) {
        parents.add(Shard.of(s.adjacentParentShardId()));
      }
      shards.add(ShardDescription.of(Shard.of(s.shardId()), parents, range(s), isOpen(s)));
    }
    shards.sort((a, b) -> a.shard().compareTo(b.shard()));
    return StreamDescription.of(stream, shards, Duration.ofHours(retentionHours(summary)));
  }

  @Override
  public boolean exists(String stream) {
    try {
      summary(stream);
      return true;
    } catch (RuntimeException e) {
      if (KinesisErrors.unwrap(e) instanceof ResourceNotFoundException) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public List<String> listStreams() {
    List<String> names = new ArrayList<>();
    String token = null;
    String after = null;
    while (true) {
      String nextToken = token;
      String startAfter = after;
      ListStreamsResponse page =
          join(
              kinesis.listStreams(
                  b -> {
                    if (nextToken != null) {
                      b.nextToken(nextToken);
                    } else if (startAfter != null) {
                      b.exclusiveStartStreamName(startAfter);
                    }
                  }));
      names.addAll(page.streamNames());
      if (!Boolean.TRUE.equals(page.hasMoreStreams()) || page.streamNames().isEmpty()) {
        break;
      }
      token = page.nextToken();
      after = names.get(names.size() - 1);
    }
    Collections.sort(names);
    return names;
  }

  @Override
  public void deleteStream(String stream) {
    join(kinesis.deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true)));
    long deadline = System.nanoTime() + WAIT_LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        summary(stream);
      } catch (RuntimeException e) {
        if (KinesisErrors.unwrap(e) instanceof ResourceNotFoundException) {
          return;
        }
        if (!KinesisErrors.isRetryable(e)) {
          throw e;
        }
      }
      sleep();
    }
    throw new SluiceException(
        ErrorCode.TIMEOUT, "Stream '" + stream + "' was still being deleted after " + WAIT_LIMIT);
  }

  @Override
  public void setShardCount(String stream, int shards) {
    awaitActive(stream);
    int current = openShards(stream).size();
    // UpdateShardCount goes at most to double or half of the current count per call.
    while (current != shards) {
      int step = Math.max(Math.min(shards, current * 2), (current + 1) / 2);
      join(
          kinesis.updateShardCount(
              b ->
                  b.streamName(stream)
                      .targetShardCount(step)
                      .scalingType(ScalingType.UNIFORM_SCALING)));
      awaitActive(stream);
      current = step;
    }
  }

  @Override
  public void setRetention(String stream, Duration retention) {
    int hours = wholeHours(retention);
    awaitActive(stream);
    int current = retentionHours(summary(stream));
    if (hours > current) {
      join(
          kinesis.increaseStreamRetentionPeriod(
              b -> b.streamName(stream).retentionPeriodHours(hours)));
    } else if (hours < current) {
      join(
          kinesis.decreaseStreamRetentionPeriod(
              b -> b.streamName(stream).retentionPeriodHours(hours)));
    } else {
      return;
    }
    // The stream is UPDATING for a while; resharding or deleting it meanwhile would fail.
    awaitActive(stream);
  }

  /** Kinesis keeps whole hours: a retention between two is refused rather than rounded. */
  private static int wholeHours(Duration retention) {
    if (!retention.equals(Duration.ofHours(retention.toHours()))) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Retention "
              + retention
              + " is not a whole number of hours, which is all Kinesis keeps; use "
              + Duration.ofHours(retention.toHours())
              + " or "
              + Duration.ofHours(retention.toHours() + 1));
    }
    return Math.toIntExact(retention.toHours());
  }

  private static int retentionHours(StreamDescriptionSummary summary) {
    Integer hours = summary.retentionPeriodHours();
    return hours == null ? DEFAULT_RETENTION_HOURS : hours;
  }

  @Override
  public void splitShard(String stream, Shard shard) {
    awaitActive(stream);
    software.amazon.awssdk.services.kinesis.model.Shard s = openShard(stream, shard);
    HashKeyRange range = range(s);
    if (range.start().equals(range.end())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Shard " + shard + " owns one hash key; it cannot split");
    }
    BigInteger middle =
        range.start().add(range.end().subtract(range.start()).add(BigInteger.ONE).shiftRight(1));
    join(
        kinesis.splitShard(
            b ->
                b.streamName(stream)
                    .shardToSplit(shard.id())
                    .newStartingHashKey(middle.toString())));
    awaitActive(stream);
  }

  @Override
  public void mergeShards(String stream, Shard first, Shard second) {
    awaitActive(stream);
    HashKeyRange a = range(openShard(stream, first));
    HashKeyRange b = range(openShard(stream, second));
    boolean adjacent =
        a.end().add(BigInteger.ONE).equals(b.start())
            || b.end().add(BigInteger.ONE).equals(a.start());
    if (!adjacent) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Shards "
              + first
              + " ("
              + a
              + ") and "
              + second
              + " ("
              + b
              + ") of '"
              + stream
              + "' are not adjacent; only shards with touching hash-key ranges can merge");
    }
    join(
        kinesis.mergeShards(
            r -> r.streamName(stream).shardToMerge(first.id()).adjacentShardToMerge(second.id())));
    awaitActive(stream);
  }

  // ------------------------------------------------------------------ helpers

  /** Every shard Kinesis still lists for the stream, open or closed. */
  static List<software.amazon.awssdk.services.kinesis.model.Shard> listShards(
      KinesisAsyncClient kinesis, String stream) {
    List<software.amazon.awssdk.services.kinesis.model.Shard> shards = new ArrayList<>();
    String token = null;
    int throttled = 0;
    do {
      String next = token;
      ListShardsResponse page;
      try {
        page =
            join(
                kinesis.listShards(
                    b -> {
                      if (next == null) {
                        b.streamName(stream);
                      } else {
                        b.nextToken(next);
                      }
                    }));
      } catch (RuntimeException e) {
        // ListShards allows 1000 calls/s per account (the emulator less): wait and go on.
        if (KinesisErrors.translate(e).code() == ErrorCode.THROTTLED && ++throttled < 20) {
          sleepMillis(100L * throttled);
          continue;
        }
        throw e;
      }
      shards.addAll(page.shards());
      token = page.nextToken();
    } while (token != null);
    return shards;
  }

  static boolean isOpen(software.amazon.awssdk.services.kinesis.model.Shard s) {
    return s.sequenceNumberRange() == null
        || s.sequenceNumberRange().endingSequenceNumber() == null;
  }

  static HashKeyRange range(software.amazon.awssdk.services.kinesis.model.Shard s) {
    return HashKeyRange.of(
        new BigInteger(s.hashKeyRange().startingHashKey()),
        new BigInteger(s.hashKeyRange().endingHashKey()));
  }

  /** The stream's shard map for routing. */
  static ShardMap shardMap(KinesisAsyncClient kinesis, String stream) {
    List<ShardMap.Entry> entries = new ArrayList<>();
    for (software.amazon.awssdk.services.kinesis.model.Shard s : listShards(kinesis, stream)) {
      entries.add(new ShardMap.Entry(Shard.of(s.shardId()), range(s), isOpen(s)));
    }
    return new ShardMap(entries);
  }

  private List<software.amazon.awssdk.services.kinesis.model.Shard> openShards(String stream) {
    List<software.amazon.awssdk.services.kinesis.model.Shard> open = new ArrayList<>();
    for (software.amazon.awssdk.services.kinesis.model.Shard s : listShards(kinesis, stream)) {
      if (isOpen(s)) {
        open.add(s);
      }
    }
    return open;
  }

  private software.amazon.awssdk.services.kinesis.model.Shard openShard(
      String stream, Shard shard) {
    for (software.amazon.awssdk.services.kinesis.model.Shard s : listShards(kinesis, stream)) {
      if (s.shardId().equals(shard.id())) {
        if (!isOpen(s)) {
          throw new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Shard " + shard + " of '" + stream + "' is closed (split or merged already)");
        }
        return s;
      }
    }
    throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + stream + "' has no shard " + shard);
  }

  private StreamDescriptionSummary summary(String stream) {
    return join(kinesis.describeStreamSummary(b -> b.streamName(stream)))
        .streamDescriptionSummary();
  }

  private void awaitActive(String stream) {
    long deadline = System.nanoTime() + WAIT_LIMIT.toNanos();
    while (true) {
      StreamStatus status;
      try {
        status = summary(stream).streamStatus();
      } catch (RuntimeException e) {
        if (KinesisErrors.translate(e).code() != ErrorCode.THROTTLED) {
          throw e;
        }
        status = null;
      }
      if (status == StreamStatus.ACTIVE) {
        return;
      }
      if (status == StreamStatus.DELETING) {
        throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + stream + "' is being deleted");
      }
      if (System.nanoTime() > deadline) {
        throw new SluiceException(
            ErrorCode.TIMEOUT,
            "Stream '"
                + stream
                + "' did not become ACTIVE within "
                + WAIT_LIMIT
                + " ("
                + status
                + ")");
      }
      sleep();
    }
  }

  /**
   * Waits for one AWS call. The SDK ends a call by itself (its timeouts and retries), but not one
   * whose retry was scheduled on a client that was closed meanwhile: that future never completes,
   * and a thread waiting on it forever was seen (the producer's batcher, listing shards while
   * Sluice closed). So the wait is bounded, well above anything the SDK takes on its own.
   */
  static <T> T join(CompletableFuture<T> future) {
    return join(future, CALL_LIMIT);
  }

  /** The longest wait for one AWS call's answer; see {@link #join(CompletableFuture)}. */
  static final Duration CALL_LIMIT = Duration.ofMinutes(5);

  static <T> T join(CompletableFuture<T> future, Duration limit) {
    try {
      return future.get(limit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      future.cancel(true);
      throw new SluiceException(
          ErrorCode.TIMEOUT,
          "Kinesis did not answer within " + limit + "; the call was given up",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while waiting for Kinesis", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = KinesisErrors.unwrap(e);
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new java.util.concurrent.CompletionException(cause);
    }
  }

  private static void sleep() {
    sleepMillis(POLL_MILLIS);
  }

  private static void sleepMillis(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while waiting for Kinesis", e);
    }
  }
}
