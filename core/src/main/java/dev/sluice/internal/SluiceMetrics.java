package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Shard;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Sluice's portable meters, the same names and tags on every backend (listed in docs/metrics.md).
 * Created only when the application hands Sluice a {@link MeterRegistry}; otherwise producers and
 * consumers hold {@code null} and pay one branch per record.
 */
public final class SluiceMetrics {
  public static final String SHARD_TAG_KEY = "sluice.metrics.shard.tag";

  private final MeterRegistry registry;
  private final String backend;
  private final boolean shardTag;

  SluiceMetrics(MeterRegistry registry, String backend, boolean shardTag) {
    this.registry = registry;
    this.backend = backend;
    this.shardTag = shardTag;
  }

  static @Nullable SluiceMetrics create(
      @Nullable MeterRegistry registry, String backend, Map<String, String> config) {
    if (registry == null) {
      return null;
    }
    String shardTag = config.getOrDefault(SHARD_TAG_KEY, "true").trim();
    return new SluiceMetrics(registry, backend, !shardTag.equalsIgnoreCase("false"));
  }

  ProducerMeters producer(String stream) {
    return new ProducerMeters(Tags.of("backend", backend, "stream", stream));
  }

  ConsumerMeters consumer(String stream, @Nullable String group) {
    return new ConsumerMeters(
        Tags.of("backend", backend, "stream", stream, "group", group == null ? "none" : group));
  }

  private Timer timer(String name, String description, Tags tags) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .publishPercentiles(0.5, 0.95, 0.99)
        .register(registry);
  }

  /** Meters of one producer. */
  final class ProducerMeters {
    final Counter records;
    final Counter bytes;
    final Timer latency;
    private final Tags tags;
    private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);

    ProducerMeters(Tags tags) {
      this.tags = tags;
      this.records =
          Counter.builder("sluice.send.records")
              .description("Records stored by the backend")
              .tags(tags)
              .register(registry);
      this.bytes =
          Counter.builder("sluice.send.bytes")
              .description("Key and value bytes of records stored")
              .baseUnit("bytes")
              .tags(tags)
              .register(registry);
      this.latency =
          timer("sluice.send.latency", "From send to the backend's acknowledgement", tags);
    }

    void sent(long startNanos, long size) {
      records.increment();
      bytes.increment(size);
      latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    void failed(ErrorCode code) {
      Counter c;
      synchronized (errors) {
        c =
            errors.computeIfAbsent(
                code,
                k ->
                    Counter.builder("sluice.send.errors")
                        .description("Sends that failed, by error code")
                        .tags(tags.and("code", k.name()))
                        .register(registry));
      }
      c.increment();
    }
  }

  /** Meters of one consumer; per-shard meters are made as shards appear and removed as they go. */
  final class ConsumerMeters {
    private final Tags tags;
    final Timer handlerLatency;
    final Counter handlerFailures;
    final Counter retries;
    final Counter deadLettered;
    final Counter skipped;
    final Counter duplicates;
    final Counter checkpoints;
    final Counter checkpointFailures;

    /**
     * Reads how many shards the consumer owns now. A supplier rather than a stored count: drivers
     * report assignments from several threads at once (the KCL starts each shard's processor on a
     * thread of its own), and a count each of them stored after reading the consumer's shards could
     * land out of order, leaving the gauge at an older value for good.
     */
    private volatile IntSupplier ownedShards = () -> 0;

    private final Map<Shard, ShardMeters> shards = new ConcurrentHashMap<>();
    private final LiveConsumers live;

    ConsumerMeters(Tags tags) {
      this.tags = tags;
      this.handlerLatency =
          timer("sluice.handler.latency", "Time a record handler took (each attempt)", tags);
      this.handlerFailures = counter("sluice.handler.failures", "Handler attempts that threw");
      this.retries = counter("sluice.handler.retries", "Records retried after a failed attempt");
      this.deadLettered =
          counter("sluice.deadletter.records", "Records sent to the dead-letter stream");
      this.skipped = counter("sluice.skipped.records", "Records skipped by the failure policy");
      this.duplicates =
          counter(
              "sluice.duplicates.dropped",
              "Records a deduplicating consumer dropped as second copies of a write");
      this.checkpoints = counter("sluice.checkpoints", "Shard checkpoints written to the backend");
      this.checkpointFailures =
          counter("sluice.checkpoint.failures", "Checkpoint writes that failed");
      // A gauge is registered once per name and tags, and Micrometer ignores a second
      // registration: bound to this consumer, it would read a closed consumer's value for every
      // consumer of the same stream and group opened later in the registry. So the gauges read the
      // consumers of these tags that are open now, from one holder per registry and tags.
      this.live = LiveConsumers.of(registry, tags);
      live.add(this);
      synchronized (live) {
        // Registered by the first consumer of these tags (again if the registry was cleared):
        // Micrometer warns at every registration of a gauge it has.
        if (registry.find("sluice.assigned.shards").tags(tags).gauge() == null) {
          Gauge.builder("sluice.assigned.shards", live, LiveConsumers::assignedShards)
              .description("Shards the open consumers of this stream and group own now")
              .tags(tags)
              .strongReference(true)
              .register(registry);
        }
        if (!shardTag && registry.find("sluice.consumer.lag.records").tags(tags).gauge() == null) {
          // Without a shard tag, lag is the worst shard's, so cardinality stays one per consumer.
          Gauge.builder("sluice.consumer.lag.records", live, l -> l.maxLag(true))
              .description("Records after the last one delivered, worst shard (-1: unknown)")
              .tags(tags)
              .strongReference(true)
              .register(registry);
          Gauge.builder("sluice.consumer.lag.millis", live, l -> l.maxLag(false))
              .description("How far behind the newest record, worst shard, in time (-1: unknown)")
              .baseUnit("milliseconds")
              .tags(tags)
              .strongReference(true)
              .register(registry);
        }
      }
    }

    private Counter counter(String name, String description) {
      return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    /** Binds {@code sluice.assigned.shards} to what the consumer owns, read when the gauge is. */
    void countShardsWith(IntSupplier owned) {
      this.ownedShards = owned;
    }

    void rebalance(String event, int shardCount) {
      Counter.builder("sluice.rebalances")
          .description("Shards assigned, revoked or lost")
          .tags(tags.and("event", event))
          .register(registry)
          .increment(shardCount);
    }

    ShardMeters shard(Shard shard) {
      return shards.computeIfAbsent(shard, ShardMeters::new);
    }

    void removeShard(Shard shard) {
      ShardMeters m = shards.remove(shard);
      if (m != null) {
        m.remove();
      }
    }

    void close() {
      new ArrayList<>(shards.keySet()).forEach(this::removeShard);
      live.remove(this);
    }

    /** Records received, bytes received and lag of one shard. */
    final class ShardMeters {
      final Counter records;
      final Counter bytes;
      final AtomicLong lagRecords = new AtomicLong(-1);
      final AtomicLong lagMillis = new AtomicLong(-1);
      private final List<Meter> meters = new ArrayList<>();

      ShardMeters(Shard shard) {
        Tags shardTags = shardTag ? tags.and(Tag.of("shard", shard.id())) : tags;
        records =
            Counter.builder("sluice.receive.records")
                .description("Records delivered to the consumer")
                .tags(shardTags)
                .register(registry);
        bytes =
            Counter.builder("sluice.receive.bytes")
                .description("Key and value bytes of records delivered")
                .baseUnit("bytes")
                .tags(shardTags)
                .register(registry);
        if (shardTag) {
          meters.add(
              Gauge.builder("sluice.consumer.lag.records", lagRecords, AtomicLong::get)
                  .description("Records in the shard after the last one delivered (-1: unknown)")
                  .tags(shardTags)
                  .register(registry));
          meters.add(
              Gauge.builder("sluice.consumer.lag.millis", lagMillis, AtomicLong::get)
                  .description(
                      "How far behind the shard's newest record the consumer is, in time (-1: unknown)")
                  .baseUnit("milliseconds")
                  .tags(shardTags)
                  .register(registry));
          // Counters stay registered when the shard goes: they are totals, and a shard that comes
          // back continues them. Only the lag gauges, which would go stale, are removed.
        }
      }

      void delivered(int count, long size, long millisBehind, long recordsBehind) {
        records.increment(count);
        bytes.increment(size);
        lagMillis.set(millisBehind);
        lagRecords.set(recordsBehind);
      }

      void remove() {
        meters.forEach(registry::remove);
      }
    }
  }

  /**
   * The open consumers of one registry and one set of consumer tags (backend, stream, group), which
   * the consumer gauges read. Two consumers of the same stream and group open at once in one
   * registry (two {@code Sluice} instances, or two consumers of one) share the gauges: {@code
   * sluice.assigned.shards} reads the shards they own together, as the counters of the same tags
   * add up both; lag reads the worst shard of either.
   */
  static final class LiveConsumers {
    /** Per registry (weakly: a registry dropped by the application takes its holders along). */
    private static final Map<MeterRegistry, Map<Tags, LiveConsumers>> ALL = new WeakHashMap<>();

    private final Set<ConsumerMeters> consumers = ConcurrentHashMap.newKeySet();

    static LiveConsumers of(MeterRegistry registry, Tags tags) {
      synchronized (ALL) {
        return ALL.computeIfAbsent(registry, r -> new ConcurrentHashMap<>())
            .computeIfAbsent(tags, t -> new LiveConsumers());
      }
    }

    void add(ConsumerMeters consumer) {
      consumers.add(consumer);
    }

    void remove(ConsumerMeters consumer) {
      consumers.remove(consumer);
    }

    double assignedShards() {
      long sum = 0;
      for (ConsumerMeters c : consumers) {
        sum += c.ownedShards.getAsInt();
      }
      return sum;
    }

    double maxLag(boolean records) {
      long max = -1;
      for (ConsumerMeters c : consumers) {
        for (ConsumerMeters.ShardMeters m : c.shards.values()) {
          max = Math.max(max, records ? m.lagRecords.get() : m.lagMillis.get());
        }
      }
      return max;
    }
  }
}
