package dev.sluice.benchmarks;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The harness's command line. Every flag has a default; {@code --help} lists them. */
final class Options {
  enum Backend {
    MEMORY,
    KAFKA,
    /** A consume → map → produce pipeline: Kafka Streams beside the Sluice processor. */
    KAFKA_PIPELINE,
    KINESIS
  }

  static final String USAGE =
      String.join(
          "\n",
          "Usage: java -jar benchmarks/target/sluice-benchmarks.jar [flags]",
          "",
          "  --backend memory|kafka|kafka-pipeline|kinesis|all  what to measure (default all);"
              + " kafka-pipeline is Kafka Streams beside the Sluice processor",
          "  --records N          records per measured run (default 200000)",
          "  --record-size BYTES  value size; the key is 8 bytes more (default 100)",
          "  --shards N           partitions / shards of every stream (default 4)",
          "  --rounds N           measured rounds; the table shows the median (default 3)",
          "  --warmup-records N   one unmeasured warm-up run per side first, so the JIT has compiled"
              + " both and the broker (default min(records, 2000000); 0: none)",
          "  --keys N             distinct keys, cycled (default 1024)",
          "  --bootstrap HOST:PORT  use this Kafka cluster instead of starting a broker",
          "  --broker-jvm separate|same  run the started Kafka broker in its own JVM (default), or"
              + " in this one",
          "  --broker-data DIR    where a broker in its own JVM keeps its log (default /dev/shm, a"
              + " RAM disk, when writable: disk write-back then does not stall the broker)",
          "  --linger-ms N        Kafka linger.ms for both producers (default 5)",
          "  --batch-size BYTES   Kafka batch.size for both producers (default 65536)",
          "  --compression TYPE   Kafka compression.type for both producers (default none)",
          "  --latency-records N  records sent at a steady rate to measure end-to-end latency"
              + " (default min(records, 50000))",
          "  --latency-rate N     records/s for the latency run (default 5000)",
          "  --pipeline-records N records per measured pipeline run, exactly-once and at-least-once"
              + " (default min(records, 500000))",
          "  --pipeline-guarantees exactly-once,at-least-once  the pipeline's modes (default both)",
          "  --pipeline-commit-ms N  the pipeline's commit interval on both sides (default: each"
              + " side's own, Streams 100 ms exactly-once and 30000 ms at least once, Sluice 100 ms)",
          "  --memory-records N   records per memory run (default min(5 x records, 2000000))",
          "  --kinesis-records N  records per Kinesis run, at most 10000 (default min(records,"
              + " 10000))",
          "  --kinesis-batch N    records per PutRecords call, raw and Sluice (default 500)",
          "  --max-buffered N     Sluice consumers' maxBufferedRecords (default: Sluice's, 5000)",
          "  --output FILE        where the markdown table goes (default benchmarks/target/bench-results.md)",
          "  --help");

  Set<Backend> backends = EnumSet.allOf(Backend.class);
  int records = 200_000;
  int recordSize = 100;
  int shards = 4;
  int rounds = 3;
  int warmupRecords = -1;
  int keys = 1024;
  @Nullable String bootstrap;
  boolean brokerInThisJvm;
  @Nullable Path brokerData = defaultBrokerData();
  int lingerMs = 5;
  int batchSize = 65_536;
  String compression = "none";
  int latencyRecords = -1;
  int latencyRate = 5_000;
  int kinesisRecords = -1;
  int memoryRecords = -1;
  int pipelineRecords = -1;
  int pipelineCommitMs = -1;
  Set<PipelineBench.Mode> pipelineModes = EnumSet.allOf(PipelineBench.Mode.class);
  int maxBuffered = -1;
  int kinesisBatch = 500;
  Path output = defaultOutput();
  boolean help;

  static Options parse(String... args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      String value = null;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      if (flag.equals("--help") || flag.equals("-h")) {
        o.help = true;
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value\n\n" + USAGE);
        }
        value = args[++i];
      }
      switch (flag) {
        case "--backend":
          o.backends = backends(value);
          break;
        case "--records":
          o.records = positive(flag, value);
          break;
        case "--record-size":
          o.recordSize = atLeast(flag, value, 8);
          break;
        case "--shards":
          o.shards = positive(flag, value);
          break;
        case "--rounds":
          o.rounds = positive(flag, value);
          break;
        case "--warmup-records":
          o.warmupRecords = atLeast(flag, value, 0);
          break;
        case "--keys":
          o.keys = positive(flag, value);
          break;
        case "--bootstrap":
          o.bootstrap = value;
          break;
        case "--broker-jvm":
          if (!value.equals("separate") && !value.equals("same")) {
            throw new IllegalArgumentException(
                "--broker-jvm is 'separate' or 'same', not " + value);
          }
          o.brokerInThisJvm = value.equals("same");
          break;
        case "--broker-data":
          o.brokerData = Paths.get(value);
          break;
        case "--linger-ms":
          o.lingerMs = atLeast(flag, value, 0);
          break;
        case "--batch-size":
          o.batchSize = positive(flag, value);
          break;
        case "--compression":
          o.compression = value;
          break;
        case "--latency-records":
          o.latencyRecords = atLeast(flag, value, 0);
          break;
        case "--latency-rate":
          o.latencyRate = positive(flag, value);
          break;
        case "--pipeline-records":
          o.pipelineRecords = positive(flag, value);
          break;
        case "--pipeline-guarantees":
          o.pipelineModes = modes(value);
          break;
        case "--pipeline-commit-ms":
          o.pipelineCommitMs = positive(flag, value);
          break;
        case "--memory-records":
          o.memoryRecords = positive(flag, value);
          break;
        case "--kinesis-records":
          o.kinesisRecords = positive(flag, value);
          if (o.kinesisRecords > 10_000) {
            throw new IllegalArgumentException(
                "--kinesis-records is at most 10000 (the emulator keeps every record in memory)");
          }
          break;
        case "--kinesis-batch":
          o.kinesisBatch = positive(flag, value);
          if (o.kinesisBatch > 500) {
            throw new IllegalArgumentException(
                "--kinesis-batch is at most 500 (PutRecords' limit)");
          }
          break;
        case "--max-buffered":
          o.maxBuffered = positive(flag, value);
          break;
        case "--output":
          o.output = Paths.get(value);
          break;
        default:
          throw new IllegalArgumentException("Unknown flag " + flag + "\n\n" + USAGE);
      }
    }
    if (o.warmupRecords < 0) {
      o.warmupRecords = Math.min(o.records, 2_000_000);
    }
    if (o.latencyRecords < 0) {
      // A p99 rests on the slowest 1%: 500 records at 50,000, only 100 at 10,000 (where it moved
      // by up to 2 ms between rounds of the same code).
      o.latencyRecords = Math.min(o.records, 50_000);
    }
    if (o.memoryRecords < 0) {
      o.memoryRecords = (int) Math.min(5L * o.records, 2_000_000);
    }
    if (o.pipelineRecords < 0) {
      o.pipelineRecords = Math.min(o.records, 500_000);
    }
    if (o.kinesisRecords < 0) {
      o.kinesisRecords = Math.min(o.records, 10_000);
    }
    return o;
  }

  /** A RAM disk if there is one we can write, else none (the broker's temporary directory). */
  private static @Nullable Path defaultBrokerData() {
    Path shm = Paths.get("/dev/shm");
    return java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.isWritable(shm) ? shm : null;
  }

  /**
   * {@code target/bench-results.md} of the benchmarks module: beside the jar (or the classes) the
   * harness runs from, whatever the working directory.
   */
  private static Path defaultOutput() {
    try {
      Path code =
          Paths.get(Options.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path dir = code; dir != null; dir = dir.getParent()) {
        if (dir.getFileName() != null && dir.getFileName().toString().equals("target")) {
          return dir.resolve("bench-results.md");
        }
      }
    } catch (java.net.URISyntaxException | RuntimeException e) {
      // Fall through to the working directory.
    }
    return Paths.get("target", "bench-results.md");
  }

  private static Set<Backend> backends(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("all")) {
      return EnumSet.allOf(Backend.class);
    }
    Set<Backend> out = EnumSet.noneOf(Backend.class);
    for (String name : v.split(",")) {
      try {
        out.add(Backend.valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--backend is memory, kafka, kafka-pipeline, kinesis or all (or a comma-separated list), not '"
                + value
                + "'",
            e);
      }
    }
    return out;
  }

  private static Set<PipelineBench.Mode> modes(String value) {
    Set<PipelineBench.Mode> out = EnumSet.noneOf(PipelineBench.Mode.class);
    for (String name : value.split(",")) {
      try {
        out.add(PipelineBench.Mode.valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--pipeline-guarantees is exactly-once, at-least-once or both, not '" + value + "'", e);
      }
    }
    return out;
  }

  private static int positive(String flag, String value) {
    return atLeast(flag, value, 1);
  }

  private static int atLeast(String flag, String value, int min) {
    int n;
    try {
      n = Integer.parseInt(value.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs a whole number, not '" + value + "'", e);
    }
    if (n < min) {
      throw new IllegalArgumentException(flag + " must be at least " + min + ", not " + n);
    }
    return n;
  }

  /** Applies the consumer settings the command line asks for to a Sluice consumer. */
  <K, V> dev.sluice.ConsumerBuilder<K, V> consumer(dev.sluice.ConsumerBuilder<K, V> builder) {
    return maxBuffered > 0 ? builder.maxBufferedRecords(maxBuffered) : builder;
  }

  @Override
  public String toString() {
    return "records="
        + records
        + ", record size="
        + recordSize
        + " B, shards="
        + shards
        + ", rounds="
        + rounds
        + ", warm-up records="
        + warmupRecords
        + ", keys="
        + keys
        + (backends.contains(Backend.KAFKA_PIPELINE) ? ", pipeline records=" + pipelineRecords : "")
        + (pipelineCommitMs > 0 ? ", pipeline commit interval=" + pipelineCommitMs + " ms" : "")
        + (maxBuffered > 0 ? ", Sluice maxBufferedRecords=" + maxBuffered : "");
  }
}
