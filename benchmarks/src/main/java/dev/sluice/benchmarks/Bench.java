package dev.sluice.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The end-to-end harness: Sluice beside the raw Kafka and Kinesis clients, and the memory backend
 * alone. Prints a progress line while it runs and a markdown table at the end, also written to
 * {@code target/bench-results.md}.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/sluice-benchmarks.jar --backend all --records 200000 --rounds 3
 * </pre>
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help) {
      System.out.println(Options.USAGE);
      return;
    }
    int status = 0;
    try {
      run(options, System.out);
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    // The Kafka client and broker leave non-daemon threads behind after close on some paths.
    System.exit(status);
  }

  /** Runs what {@code args} asks for and returns the table (also written to the output file). */
  static Table run(String... args) throws Exception {
    return run(Options.parse(args), System.out);
  }

  static Table run(Options options, PrintStream out) throws Exception {
    Table table = new Table();
    Workload workload = new Workload(options.keys, options.recordSize);
    String loadBefore = load();
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    out.println("Sluice benchmarks: " + options + " — " + machine());
    try (Progress progress = new Progress(out)) {
      if (options.backends.contains(Options.Backend.MEMORY)) {
        new MemoryBench(options, workload, progress).run(table);
      }
      boolean kafka = options.backends.contains(Options.Backend.KAFKA);
      boolean pipeline = options.backends.contains(Options.Backend.KAFKA_PIPELINE);
      if (kafka || pipeline) {
        // One broker for both: the pipeline rows are measured on the broker the client rows were.
        try (KafkaTarget target = KafkaTarget.open(options, progress)) {
          if (kafka) {
            new KafkaBench(options, workload, progress).run(table, target);
          }
          if (pipeline) {
            new PipelineBench(options, workload, progress).run(table, target);
          }
        }
      }
      if (options.backends.contains(Options.Backend.KINESIS)) {
        new KinesisBench(options, workload, progress).run(table);
        new KinesisDedupBench(options, workload, progress).run(table);
      }
    }
    String markdown =
        "## Sluice benchmark results\n\n"
            + "Run "
            + started
            + " — "
            + options
            + ". "
            + machine()
            + "; load average "
            + loadBefore
            + " before, "
            + load()
            + " after. Values are medians over the rounds; a ratio is the median of the"
            + " per-round ratios.\n\n"
            + table.markdown();
    out.println();
    out.println(markdown);
    Path file = options.output.toAbsolutePath();
    Files.createDirectories(file.getParent());
    Files.writeString(file, markdown, StandardCharsets.UTF_8);
    out.println("Written to " + file);
    return table;
  }

  private static String machine() {
    Runtime rt = Runtime.getRuntime();
    return String.format(
        Locale.ROOT,
        "%d CPUs, Java %s (%s), max heap %d MB%s, %s %s",
        rt.availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        rt.maxMemory() / (1024 * 1024),
        jvmFlags(),
        System.getProperty("os.name"),
        System.getProperty("os.arch"));
  }

  /**
   * The heap flags the run was given. A heap that grows while measuring costs page faults (the
   * kernel zeroing new pages was a third of one consumer thread's samples): fixed and pre-touched
   * ({@code -Xms = -Xmx}, {@code -XX:+AlwaysPreTouch}) keeps that out of the numbers.
   */
  private static String jvmFlags() {
    List<String> flags = heapFlags();
    return flags.isEmpty() ? " (heap not fixed: see README)" : " (" + String.join(" ", flags) + ")";
  }

  /** This JVM's heap flags ({@code -Xm...}, {@code -XX:+AlwaysPreTouch}), in the order given. */
  static List<String> heapFlags() {
    List<String> flags = new ArrayList<>();
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-Xm") || arg.equals("-XX:+AlwaysPreTouch")) {
        flags.add(arg);
      }
    }
    return flags;
  }

  private static String load() {
    try {
      String[] parts =
          Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
      return parts[0] + " / " + parts[1] + " / " + parts[2];
    } catch (IOException | RuntimeException e) {
      double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
    }
  }
}
