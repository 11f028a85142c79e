package dev.sluice.benchmarks.jmh;

import dev.sluice.HashKeyRange;
import dev.sluice.Producer;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.spi.HashRouting;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Utils;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Key to shard: Kafka's default partitioner (murmur2 of the key bytes, modulo partitions) beside
 * Kinesis's (MD5 of the key as a 128-bit hash key, then the shard whose range holds it), which the
 * memory backend uses too (as a BigInteger compared with each range, and as {@link
 * HashRouting.RangeIndex} does it without allocating); and the whole {@code Producer.shardFor} on
 * memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RoutingBenchmark {
  @Param({"4"})
  public int shards;

  private byte[][] keys;
  private int next;
  private List<HashKeyRange> ranges;
  private HashRouting.RangeIndex index;
  private Sluice sluice;
  private Producer<byte[], byte[]> producer;

  @Setup
  public void setUp() {
    keys = new byte[1024][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = String.format("key-%08d", i).getBytes(StandardCharsets.UTF_8);
    }
    ranges = HashRouting.evenRanges(shards);
    index = HashRouting.RangeIndex.of(ranges);
    sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .set("sluice.memory.namespace", "jmh-" + UUID.randomUUID())
            .open();
    sluice.admin().createStream("routing", StreamSpec.withShards(shards));
    producer = sluice.producer("routing");
  }

  @TearDown
  public void tearDown() {
    sluice.close();
  }

  private byte[] key() {
    next = (next + 1) & 1023;
    return keys[next];
  }

  @Benchmark
  public int kafkaMurmur2() {
    return Utils.toPositive(Utils.murmur2(key())) % shards;
  }

  @Benchmark
  public int md5HashRange() {
    BigInteger hash = HashRouting.hashKey(key());
    for (int i = 0; i < ranges.size(); i++) {
      if (ranges.get(i).contains(hash)) {
        return i;
      }
    }
    throw new IllegalStateException();
  }

  /**
   * What the memory backend routes with: the same answer, no BigInteger, and the 1024 keys cycled
   * here are remembered after their first pass, so this is mostly the cost of a remembered key.
   */
  @Benchmark
  public int md5RangeIndex() {
    return index.indexOf(key());
  }

  @Benchmark
  public Shard memoryShardFor() {
    return producer.shardFor(key());
  }
}
