package dev.sluice.examples;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * A three-stage stream pipeline over two streams, each reading stage its own consumer group:
 *
 * <ol>
 *   <li><b>publish</b>: raw shop events (user, item) go to the {@code raw} stream, keyed by user;
 *   <li><b>enrich and aggregate</b> (group {@code enrich-*}): each raw event gets its item's
 *       category, and is counted per user and category in a window of {@code --window} events per
 *       shard;
 *   <li><b>publish aggregates</b>: each closed window becomes one {@code UserActivity} record per
 *       user on the {@code aggregates} stream, for any further consumer, here a report (group
 *       {@code report-*}).
 * </ol>
 *
 * <p>At the end the counts of every stage must reconcile: raw events sent = events enriched =
 * events in the aggregates sent = events in the aggregates the report received. Verdict: {@code
 * RECONCILED} or what differs.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexample=dev.sluice.examples.Pipeline \
 *     -Dexec.args="--events 2000 --window 50"
 * </pre>
 */
public final class Pipeline {
  /** The catalogue stage 2 enriches from: item → category. */
  static final Map<String, String> CATEGORIES = catalogue();

  /** A raw event as a shop front sends it. */
  public record RawEvent(long id, String user, String item, String action) {}

  /** What a user did in one window: events per category. */
  public record UserActivity(
      String user, String window, long events, Map<String, Long> eventsByCategory) {}

  /** What to run. */
  public record Options(int events, int users, int shards, int window, CommonOptions common) {}

  /**
   * The counts of each stage.
   *
   * @param rawSent events stage 1 published
   * @param enriched distinct events stage 2 enriched (repeats not counted)
   * @param aggregatesSent aggregate records stage 3 published
   * @param eventsInAggregatesSent the sum of their event counts
   * @param aggregatesReceived distinct aggregate records the report read
   * @param eventsInAggregatesReceived the sum of their event counts
   * @param finished true if every stage finished before the timeout
   */
  public record Result(
      long rawSent,
      long enriched,
      long aggregatesSent,
      long eventsInAggregatesSent,
      long aggregatesReceived,
      long eventsInAggregatesReceived,
      boolean finished) {
    public boolean reconciled() {
      return finished
          && rawSent == enriched
          && enriched == eventsInAggregatesSent
          && eventsInAggregatesSent == eventsInAggregatesReceived
          && aggregatesSent == aggregatesReceived;
    }

    /** "RECONCILED" or what differs. */
    public String verdict() {
      if (reconciled()) {
        return "RECONCILED";
      }
      List<String> problems = new ArrayList<>();
      if (!finished) {
        problems.add("timed out");
      }
      if (rawSent != enriched) {
        problems.add("raw events sent " + rawSent + " != enriched " + enriched);
      }
      if (enriched != eventsInAggregatesSent) {
        problems.add("enriched " + enriched + " != in aggregates sent " + eventsInAggregatesSent);
      }
      if (eventsInAggregatesSent != eventsInAggregatesReceived) {
        problems.add(
            "events in aggregates sent "
                + eventsInAggregatesSent
                + " != received "
                + eventsInAggregatesReceived);
      }
      if (aggregatesSent != aggregatesReceived) {
        problems.add("aggregates sent " + aggregatesSent + " != received " + aggregatesReceived);
      }
      return "NOT RECONCILED: " + String.join("; ", problems);
    }
  }

  static final Cli CLI =
      Cli.program(
              "Pipeline",
              "Publishes raw events, enriches and aggregates them, publishes the aggregates,"
                  + " and reconciles the counts of every stage.")
          .option("--events", "N", "3000", "raw events to publish")
          .option("--users", "N", "50", "distinct users (the record key of both streams)")
          .option("--shards", "N", "2", "shards of each stream")
          .option("--window", "N", "100", "events per shard in one aggregation window")
          .withCommonOptions();

  private Pipeline() {}

  /** Reads the command line; never exits. */
  public static Cli.Parsed<Options> parse(String... args) {
    return CLI.parse(
        args,
        v ->
            new Options(
                v.positiveInt("--events"),
                v.positiveInt("--users"),
                v.positiveInt("--shards"),
                v.positiveInt("--window"),
                v.common()));
  }

  public static void main(String[] args) throws Exception {
    Cli.Parsed<Options> parsed = parse(args);
    if (!parsed.shouldRun()) {
      System.exit(parsed.printUsage(System.out, System.err));
    }
    boolean ok;
    try (Sluice sluice = Sluice.open()) {
      ok = run(sluice, parsed.options(), System.out).reconciled();
    } catch (RuntimeException e) {
      System.err.println("Pipeline failed: " + Cli.describe(e));
      ok = false;
    }
    System.exit(ok ? 0 : Cli.EXIT_FAILED);
  }

  /** Runs the pipeline on {@code sluice}'s backend, printing progress to {@code out}. */
  public static Result run(Sluice sluice, Options options, PrintStream out)
      throws InterruptedException {
    out.println("Backend: " + sluice.backend());
    Tally.Deadline deadline = Tally.Deadline.after(options.common().timeout());
    try (ExampleStreams streams =
        ExampleStreams.forApp(sluice, "pipeline", options.common(), out)) {
      String raw = streams.create("raw", StreamSpec.withShards(options.shards()));
      String aggregates = streams.create("aggregates", StreamSpec.withShards(options.shards()));

      Report report = new Report();
      try (AggregatePublisher stage3 = new AggregatePublisher(sluice, aggregates)) {
        Enricher stage2 = new Enricher(options.window(), stage3);
        try (Consumer<String, RawEvent> enrichers =
                sluice
                    .consumer(raw, Serde.string(), Serde.json(RawEvent.class))
                    .group("enrich-" + streams.runId())
                    .startPosition(StartPosition.earliest())
                    .start(stage2::enrich);
            Consumer<String, UserActivity> reporters =
                sluice
                    .consumer(aggregates, Serde.string(), Serde.json(UserActivity.class))
                    .group("report-" + streams.runId())
                    .startPosition(StartPosition.earliest())
                    .start(report::read)) {
          enrichers.termination().whenComplete((done, error) -> stage2.enriched.failIf(error));
          reporters.termination().whenComplete((done, error) -> report.events.failIf(error));
          return runStages(sluice, raw, stage2, stage3, report, options, deadline, out);
        }
      }
    }
  }

  private static Result runStages(
      Sluice sluice,
      String raw,
      Enricher stage2,
      AggregatePublisher stage3,
      Report report,
      Options options,
      Tally.Deadline deadline,
      PrintStream out)
      throws InterruptedException {
    long rawSent = publishRaw(sluice, raw, options, out);
    boolean finished = stage2.enriched.awaitAtLeast(rawSent, deadline);
    out.println("Stage 2 enriched " + stage2.enriched.get() + " events");
    // The input is complete: close the windows still open, so every event is in an aggregate.
    stage2.closeOpenWindows();
    stage3.awaitSent();
    out.printf(
        "Stage 3 published %d aggregates holding %d events%n",
        stage3.aggregatesSent.get(), stage3.eventsSent.get());
    finished &= report.events.awaitAtLeast(stage3.eventsSent.get(), deadline);
    out.printf(
        "Report read %d aggregates holding %d events; top users: %s%n",
        report.aggregates.get(), report.events.get(), report.topUsers(3));

    Result result =
        new Result(
            rawSent,
            stage2.enriched.get(),
            stage3.aggregatesSent.get(),
            stage3.eventsSent.get(),
            report.aggregates.get(),
            report.events.get(),
            finished);
    out.println(result.verdict());
    return result;
  }

  /** Stage 1: publishes the raw events keyed by user; how many were sent. */
  private static long publishRaw(Sluice sluice, String stream, Options options, PrintStream out) {
    Random random = new Random();
    List<String> items = new ArrayList<>(CATEGORIES.keySet());
    List<CompletableFuture<SendResult>> sends = new ArrayList<>(options.events());
    long started = System.nanoTime();
    try (Producer<String, RawEvent> producer =
        sluice.producer(stream, Serde.string(), Serde.json(RawEvent.class))) {
      for (int i = 1; i <= options.events(); i++) {
        String user = "user-" + random.nextInt(options.users());
        String item = items.get(random.nextInt(items.size()));
        String action = random.nextInt(4) == 0 ? "purchase" : "view";
        sends.add(producer.send(user, new RawEvent(i, user, item, action)));
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
    out.printf(
        "Stage 1 published %d raw events in %d ms%n",
        options.events(), (System.nanoTime() - started) / 1_000_000);
    return options.events();
  }

  /**
   * Stage 2: enriches each raw event with its category and counts it in its shard's window; a full
   * window goes to stage 3. Windows are per shard because a shard's records come one at a time, in
   * order, to one handler.
   */
  private static final class Enricher {
    final Tally enriched = new Tally();
    private final int windowSize;
    private final AggregatePublisher publisher;
    private final Redeliveries redeliveries = new Redeliveries();
    private final Map<Shard, Window> openWindows = new HashMap<>();
    private final Map<Shard, Integer> windowsClosed = new HashMap<>();

    /** Events counted per user and category, in one shard, since the last window closed. */
    private static final class Window {
      final String id;
      int events;
      final Map<String, Map<String, Long>> byUser = new TreeMap<>();

      Window(String id) {
        this.id = id;
      }
    }

    Enricher(int windowSize, AggregatePublisher publisher) {
      this.windowSize = windowSize;
      this.publisher = publisher;
    }

    /** The record handler. */
    synchronized void enrich(Record<String, RawEvent> record) {
      if (!redeliveries.isFirstDelivery(record)) {
        return; // already counted in a window
      }
      RawEvent event = record.value();
      String category = CATEGORIES.getOrDefault(event.item(), "unknown");
      Shard shard = record.shard();
      Window window =
          openWindows.computeIfAbsent(
              shard,
              s -> new Window("shard " + s + " #" + windowsClosed.merge(s, 1, Integer::sum)));
      window.events++;
      window
          .byUser
          .computeIfAbsent(event.user(), u -> new TreeMap<>())
          .merge(category, 1L, Long::sum);
      enriched.add(1);
      if (window.events == windowSize) {
        openWindows.remove(shard);
        publisher.publish(window.id, window.byUser);
      }
    }

    /** At the end of the input: hands every partly filled window to stage 3. */
    synchronized void closeOpenWindows() {
      openWindows.values().forEach(w -> publisher.publish(w.id, w.byUser));
      openWindows.clear();
    }
  }

  /** Stage 3: publishes one {@link UserActivity} per user of a closed window, keyed by user. */
  private static final class AggregatePublisher implements AutoCloseable {
    final AtomicLong aggregatesSent = new AtomicLong();
    final AtomicLong eventsSent = new AtomicLong();
    private final Producer<String, UserActivity> producer;
    private final List<CompletableFuture<SendResult>> sends = new ArrayList<>();

    AggregatePublisher(Sluice sluice, String stream) {
      this.producer = sluice.producer(stream, Serde.string(), Serde.json(UserActivity.class));
    }

    synchronized void publish(String window, Map<String, Map<String, Long>> byUser) {
      byUser.forEach(
          (user, byCategory) -> {
            long events = byCategory.values().stream().mapToLong(Long::longValue).sum();
            UserActivity activity = new UserActivity(user, window, events, byCategory);
            sends.add(
                producer
                    .send(user, activity)
                    .thenApply(
                        sent -> {
                          aggregatesSent.incrementAndGet();
                          eventsSent.addAndGet(events);
                          return sent;
                        }));
          });
    }

    /** Waits until everything published so far is stored (throws if a send failed). */
    void awaitSent() {
      List<CompletableFuture<SendResult>> pending;
      synchronized (this) {
        pending = List.copyOf(sends);
      }
      CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
    }

    @Override
    public void close() {
      producer.close();
    }
  }

  /** The final consumer: reads the aggregates, as any downstream service would. */
  private static final class Report {
    final Tally aggregates = new Tally();
    final Tally events = new Tally();
    private final Redeliveries redeliveries = new Redeliveries();
    private final Map<String, LongAdder> eventsByUser = new ConcurrentHashMap<>();

    /** The record handler. */
    void read(Record<String, UserActivity> record) {
      if (!redeliveries.isFirstDelivery(record)) {
        return;
      }
      UserActivity activity = record.value();
      eventsByUser.computeIfAbsent(activity.user(), u -> new LongAdder()).add(activity.events());
      aggregates.add(1);
      events.add(activity.events());
    }

    String topUsers(int n) {
      return eventsByUser.entrySet().stream()
          .sorted(
              Comparator.comparingLong((Map.Entry<String, LongAdder> e) -> e.getValue().sum())
                  .reversed())
          .limit(n)
          .map(e -> e.getKey() + " " + e.getValue().sum())
          .collect(Collectors.joining(", "));
    }
  }

  private static Map<String, String> catalogue() {
    String[] categories = {"books", "games", "garden", "kitchen", "music"};
    Map<String, String> items = new TreeMap<>();
    for (int i = 1; i <= 40; i++) {
      items.put("item-" + i, categories[i % categories.length]);
    }
    return Map.copyOf(items);
  }
}
