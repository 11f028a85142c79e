package dev.sluice.examples;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Website activity tracking, the use Kafka was built for: a tracker sends page views and clicks
 * keyed by user, and a consumer group keeps live counts per page and prints the top pages every few
 * seconds. The run ends when every event sent has been counted; the verdict compares the counts per
 * page with what was generated.
 *
 * <p>The same code runs on memory, Kafka and Kinesis: only configuration picks the backend.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexample=dev.sluice.examples.ActivityTracking \
 *     -Dexec.args="--events 5000 --report-every 1"
 * </pre>
 */
public final class ActivityTracking {
  /** The site's pages; earlier ones are visited more often. */
  static final List<String> PAGES =
      List.of(
          "/home",
          "/search",
          "/products",
          "/products/42",
          "/cart",
          "/checkout",
          "/blog",
          "/account",
          "/help",
          "/about");

  /** One page view or click, as the tracker sends it (JSON). */
  public record PageEvent(String user, String page, String action, long timeMillis) {}

  /** What to run. */
  public record Options(
      int events,
      int users,
      int shards,
      int consumers,
      int rate,
      int top,
      Duration reportEvery,
      CommonOptions common) {}

  /**
   * What happened.
   *
   * @param generated events sent per page
   * @param counted events counted per page (each event once, repeats recognised)
   * @param repeats deliveries recognised as repeats and not counted again
   * @param finished true if every event was counted before the timeout
   */
  public record Result(
      Map<String, Long> generated, Map<String, Long> counted, long repeats, boolean finished) {
    /** True if every page's count equals the number of its events sent. */
    public boolean countsMatch() {
      return finished && generated.equals(counted);
    }

    /** "COUNTS MATCH ..." or what differs. */
    public String verdict() {
      if (countsMatch()) {
        long total = generated.values().stream().mapToLong(Long::longValue).sum();
        return "COUNTS MATCH: " + total + " events over " + generated.size() + " pages";
      }
      List<String> diffs = new ArrayList<>();
      for (String page : PAGES) {
        long sent = generated.getOrDefault(page, 0L);
        long seen = counted.getOrDefault(page, 0L);
        if (sent != seen) {
          diffs.add(page + " generated " + sent + " counted " + seen);
        }
      }
      return "COUNTS DIFFER" + (finished ? "" : " (timed out)") + ": " + String.join(", ", diffs);
    }
  }

  static final Cli CLI =
      Cli.program(
              "ActivityTracking",
              "Tracks page views and clicks and keeps live per-page counts in a consumer group.")
          .option("--events", "N", "5000", "page events to generate")
          .option("--users", "N", "200", "distinct users (the record key)")
          .option("--shards", "N", "4", "shards of the stream")
          .option("--consumers", "N", "2", "consumers in the counting group")
          .option(
              "--rate", "PER_SECOND", "2000", "events sent per second; 0 for as fast as possible")
          .option("--top", "N", "5", "pages shown in the live report")
          .option("--report-every", "SECONDS", "2", "how often the live top pages are printed")
          .withCommonOptions();

  private ActivityTracking() {}

  /** Reads the command line; never exits. */
  public static Cli.Parsed<Options> parse(String... args) {
    return CLI.parse(
        args,
        v ->
            new Options(
                v.positiveInt("--events"),
                v.positiveInt("--users"),
                v.positiveInt("--shards"),
                v.positiveInt("--consumers"),
                v.intAtLeast("--rate", 0),
                v.positiveInt("--top"),
                v.seconds("--report-every"),
                v.common()));
  }

  public static void main(String[] args) throws Exception {
    Cli.Parsed<Options> parsed = parse(args);
    if (!parsed.shouldRun()) {
      System.exit(parsed.printUsage(System.out, System.err));
    }
    boolean ok;
    try (Sluice sluice = Sluice.open()) {
      ok = run(sluice, parsed.options(), System.out).countsMatch();
    } catch (RuntimeException e) {
      System.err.println("ActivityTracking failed: " + Cli.describe(e));
      ok = false;
    }
    System.exit(ok ? 0 : Cli.EXIT_FAILED);
  }

  /** Runs the app on {@code sluice}'s backend, printing progress to {@code out}. */
  public static Result run(Sluice sluice, Options options, PrintStream out)
      throws InterruptedException {
    out.println("Backend: " + sluice.backend());
    PageCounts counts = new PageCounts(options.events());
    ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor();
    List<Consumer<String, PageEvent>> consumers = new ArrayList<>();
    try (ExampleStreams streams =
        ExampleStreams.forApp(sluice, "activity", options.common(), out)) {
      String stream = streams.create(StreamSpec.withShards(options.shards()));
      try {
        // The counting group: its members share the shards, each shard counted by one at a time.
        String group = "page-counts-" + streams.runId();
        for (int i = 0; i < options.consumers(); i++) {
          Consumer<String, PageEvent> consumer =
              sluice
                  .consumer(stream, Serde.string(), Serde.json(PageEvent.class))
                  .group(group)
                  .startPosition(StartPosition.earliest())
                  .start(counts::count);
          consumer.termination().whenComplete((done, error) -> counts.failIf(error));
          consumers.add(consumer);
        }
        long reportMillis = options.reportEvery().toMillis();
        reporter.scheduleAtFixedRate(
            () -> out.println(counts.report(options.top())),
            reportMillis,
            reportMillis,
            TimeUnit.MILLISECONDS);

        Map<String, Long> generated = generate(sluice, stream, options, out);
        boolean finished = counts.await(options.common().timeout());
        out.println(counts.report(options.top()));
        Throwable failure = counts.failure();
        if (failure != null) {
          out.println("A consumer stopped: " + failure);
        }
        Result result = new Result(generated, counts.snapshot(), counts.repeats(), finished);
        out.println(
            "Generated "
                + options.events()
                + ", counted "
                + counts.counted()
                + ", repeats ignored "
                + result.repeats());
        out.println(result.verdict());
        return result;
      } finally {
        reporter.shutdownNow();
        consumers.forEach(Consumer::close);
      }
    }
  }

  /** The tracker: sends {@code events} page events at the configured rate; the counts per page. */
  private static Map<String, Long> generate(
      Sluice sluice, String stream, Options options, PrintStream out) throws InterruptedException {
    Map<String, Long> generated = new TreeMap<>();
    Random random = new Random();
    List<CompletableFuture<SendResult>> sends = new ArrayList<>(options.events());
    long started = System.nanoTime();
    try (Producer<String, PageEvent> producer =
        sluice.producer(stream, Serde.string(), Serde.json(PageEvent.class))) {
      for (int i = 0; i < options.events(); i++) {
        String user = "user-" + random.nextInt(options.users());
        // Exponentially skewed, so a few pages get most of the traffic.
        int pageIndex = Math.min(PAGES.size() - 1, (int) (-Math.log(random.nextDouble()) * 2));
        String page = PAGES.get(pageIndex);
        String action = random.nextInt(5) == 0 ? "click" : "view";
        sends.add(
            producer.send(user, new PageEvent(user, page, action, System.currentTimeMillis())));
        generated.merge(page, 1L, Long::sum);
        if (options.rate() > 0) {
          // Pacing, not synchronisation: keep to the rate a real site would produce.
          long dueNanos = started + (i + 1) * 1_000_000_000L / options.rate();
          long aheadNanos = dueNanos - System.nanoTime();
          if (aheadNanos > 0) {
            TimeUnit.NANOSECONDS.sleep(aheadNanos);
          }
        }
      }
      // Every send must have succeeded, else the counts can never match.
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
    out.printf(
        "Sent %d events in %d ms%n", options.events(), (System.nanoTime() - started) / 1_000_000);
    return generated;
  }

  /** The consumers' shared state: live counts per page, each event counted once. */
  private static final class PageCounts {
    private final long expected;
    private final Map<String, LongAdder> perPage = new ConcurrentHashMap<>();
    private final Tally counted = new Tally();
    private final Redeliveries redeliveries = new Redeliveries();
    private final long started = System.nanoTime();

    PageCounts(long expected) {
      this.expected = expected;
    }

    /** The record handler: called for each record, sequentially per shard. */
    void count(Record<String, PageEvent> record) {
      if (!redeliveries.isFirstDelivery(record)) {
        return; // at-least-once delivery: this event was counted already
      }
      perPage.computeIfAbsent(record.value().page(), p -> new LongAdder()).increment();
      counted.add(1);
    }

    /** A consumer stopped on its own (e.g. a handler failure): the counts cannot complete. */
    void failIf(@Nullable Throwable error) {
      counted.failIf(error);
    }

    /** Waits until every event is counted; false on timeout or if a consumer failed. */
    boolean await(Duration timeout) throws InterruptedException {
      return counted.awaitAtLeast(expected, Tally.Deadline.after(timeout));
    }

    /** Why the counting stopped early, or null. */
    @Nullable Throwable failure() {
      return counted.failure();
    }

    long counted() {
      return counted.get();
    }

    long repeats() {
      return redeliveries.repeats();
    }

    Map<String, Long> snapshot() {
      Map<String, Long> copy = new TreeMap<>();
      perPage.forEach((page, n) -> copy.put(page, n.sum()));
      return copy;
    }

    /** One line: elapsed time, progress and the top pages. */
    String report(int top) {
      String topPages =
          snapshot().entrySet().stream()
              .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
              .limit(top)
              .map(e -> e.getKey() + " " + e.getValue())
              .collect(Collectors.joining(", "));
      return String.format(
          "[%6.1fs] counted %d of %d | top %d: %s",
          (System.nanoTime() - started) / 1e9, counted(), expected, top, topPages);
    }
  }
}
