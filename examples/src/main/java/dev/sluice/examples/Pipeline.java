package dev.sluice.examples;

import dev.sluice.Capabilities.Capability;
import dev.sluice.Consumer;
import dev.sluice.ConsumerBuilder;
import dev.sluice.Destination;
import dev.sluice.FailurePolicy;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A multi-stage pipeline on the processor API: raw → enrich → publish, each stage a {@link
 * Processor} in a consumer group of its own, and a report reading what the last stage published.
 *
 * <ol>
 *   <li><b>raw</b>: shop events (id, user, item, action) go to the {@code raw} stream, keyed by
 *       user;
 *   <li><b>enrich</b> (processor, group {@code enrich-*}): each raw event gets its item's category
 *       and goes to the {@code enriched} stream;
 *   <li><b>publish</b> (processor, group {@code publish-*}): each enriched event becomes a line for
 *       downstream services on the {@code published} stream;
 *   <li><b>report</b> (consumer, group {@code report-*}): counts each event id it reads.
 * </ol>
 *
 * <p>The processors run {@code EXACTLY_ONCE}: with transactions where the backend has them (Kafka,
 * memory), effectively-once through write ids where it deduplicates (Kinesis: the processors read
 * their input deduplicating and the report consumer is built with {@code deduplicate()}), {@code
 * AT_LEAST_ONCE} on a backend with neither, as printed. At the end the report must hold every raw
 * event exactly once: outputs = inputs, 0 duplicates (under {@code AT_LEAST_ONCE} duplicates after
 * a crash are allowed and counted). With {@code --crash-enrich-after N} the enrich stage's function
 * fails hard at its N-th call (the processor stops as after a crash: what it had not committed is
 * aborted or not checkpointed) and a new enrich processor takes over from the group's checkpoints.
 * The enrich stage can also run elsewhere ({@link #run(Sluice, Options, PrintStream,
 * EnrichLauncher)}, {@link #startEnrich}): ExamplesIT runs it in a JVM of its own, kills that JVM
 * with {@code kill -9} mid-run and starts another, and the pipeline still reconciles exactly.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexample=dev.sluice.examples.Pipeline \
 *     -Dexec.args="--events 2000 --crash-enrich-after 500"
 * </pre>
 */
public final class Pipeline {
  /** The catalogue the enrich stage reads: item → category. */
  static final Map<String, String> CATEGORIES = catalogue();

  /** A raw event as a shop front sends it. */
  public record RawEvent(long id, String user, String item, String action) {}

  /** A raw event with its item's category. */
  public record EnrichedEvent(long id, String user, String item, String category, String action) {}

  /** What the last stage publishes for downstream services. */
  public record PublishedEvent(long id, String user, String line) {}

  /**
   * What to run.
   *
   * @param crashEnrichAfter the enrich function fails hard at this call, once; 0 for never
   */
  public record Options(
      int events, int users, int shards, int crashEnrichAfter, CommonOptions common) {}

  /**
   * What each stage did.
   *
   * @param guarantee what the processors ran with
   * @param rawSent events published to the raw stream
   * @param enrichCalls calls of the enrich function, repeats after a crash included
   * @param enrichCrashes times the enrich stage crashed (and was started again)
   * @param received distinct event ids the report read from the published stream
   * @param duplicates records the report read for an id it had already read
   * @param finished true if the report read every event before the timeout
   */
  public record Result(
      ProcessingGuarantee guarantee,
      long rawSent,
      long enrichCalls,
      int enrichCrashes,
      long received,
      long duplicates,
      boolean finished) {
    /** Every raw event came out once; more than once only under at-least-once. */
    public boolean reconciled() {
      return finished
          && received == rawSent
          && (duplicates == 0 || guarantee == ProcessingGuarantee.AT_LEAST_ONCE);
    }

    /** "RECONCILED ..." or what differs. */
    public String verdict() {
      String counts =
          rawSent + " events in, " + received + " out, " + duplicates + " duplicates (" + guarantee;
      if (reconciled()) {
        return "RECONCILED: " + counts + ")";
      }
      return "NOT RECONCILED: "
          + counts
          + (finished ? ")" : "; timed out)")
          + (received != rawSent ? "; missing " + (rawSent - received) : "");
    }
  }

  static final Cli CLI =
      Cli.program(
              "Pipeline",
              "Publishes raw events, enriches and publishes them through two processors, and"
                  + " reconciles what comes out with what went in.")
          .option("--events", "N", "3000", "raw events to publish")
          .option("--users", "N", "50", "distinct users (the record key of every stream)")
          .option("--shards", "N", "2", "shards of each stream")
          .option(
              "--crash-enrich-after",
              "N",
              "0",
              "crash the enrich stage at its N-th record and start it again (0: never)")
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
                v.intAtLeast("--crash-enrich-after", 0),
                v.common()));
  }

  public static void main(String[] args) {
    Cli.runMain(
        "Pipeline", parse(args), (sluice, options, out) -> run(sluice, options, out).reconciled());
  }

  /** Runs the pipeline on {@code sluice}'s backend, printing progress to {@code out}. */
  public static Result run(Sluice sluice, Options options, PrintStream out)
      throws InterruptedException {
    return run(sluice, options, out, null);
  }

  /**
   * Runs the pipeline with its enrich stage started by {@code enrichLauncher} (e.g. in processes of
   * its own, which a test kills with {@code kill -9}), or in this JVM if null.
   */
  public static Result run(
      Sluice sluice, Options options, PrintStream out, @Nullable EnrichLauncher enrichLauncher)
      throws InterruptedException {
    out.println("Backend: " + sluice.backend());
    boolean transactions = sluice.capabilities().supports(Capability.TRANSACTIONS);
    boolean deduplication =
        !transactions && sluice.capabilities().supports(Capability.DEDUPLICATION);
    ProcessingGuarantee guarantee =
        transactions || deduplication
            ? ProcessingGuarantee.EXACTLY_ONCE
            : ProcessingGuarantee.AT_LEAST_ONCE;
    out.println(
        transactions
            ? "Guarantee: EXACTLY_ONCE (outputs and input checkpoints commit in one transaction)"
            : deduplication
                ? "Guarantee: EXACTLY_ONCE (effectively-once: outputs carry write ids, readers"
                    + " deduplicate)"
                : "Guarantee: AT_LEAST_ONCE (backend '"
                    + sluice.backend()
                    + "' has neither transactions nor deduplication: a crash may repeat"
                    + " outputs)");
    Tally.Deadline deadline = Tally.Deadline.after(options.common().timeout());
    try (ExampleStreams streams =
        ExampleStreams.forApp(sluice, "pipeline", options.common(), out)) {
      StreamSpec spec = StreamSpec.withShards(options.shards());
      Destination<String, RawEvent> raw =
          Destination.of(streams.create("raw", spec), Serde.string(), Serde.json(RawEvent.class));
      Destination<String, EnrichedEvent> enriched =
          Destination.of(
              streams.create("enriched", spec), Serde.string(), Serde.json(EnrichedEvent.class));
      Destination<String, PublishedEvent> published =
          Destination.of(
              streams.create("published", spec), Serde.string(), Serde.json(PublishedEvent.class));

      Report report = new Report();
      Enrich inThisJvm =
          enrichLauncher == null
              ? new Enrich(sluice, raw, enriched, guarantee, options, streams.runId())
              : null;
      ConsumerBuilder<String, PublishedEvent> readerBuilder =
          sluice
              .consumer(published.stream(), published.keySerde(), published.valueSerde())
              .group("report-" + streams.runId())
              .startPosition(StartPosition.earliest());
      if (deduplication) {
        readerBuilder.deduplicate();
      }
      List<EnrichStage> stages = new ArrayList<>(1);
      try (Consumer<String, PublishedEvent> reader = readerBuilder.start(report::read);
          Processor publisher =
              sluice
                  .processor(enriched.stream(), enriched.keySerde(), enriched.valueSerde())
                  .group("publish-" + streams.runId())
                  .output(published)
                  .guarantee(guarantee)
                  .startPosition(StartPosition.earliest())
                  .start(
                      (in, out2) -> {
                        EnrichedEvent e = in.value();
                        out2.send(
                            published,
                            in.key(),
                            new PublishedEvent(
                                e.id(),
                                e.user(),
                                e.user()
                                    + " "
                                    + e.action()
                                    + " "
                                    + e.item()
                                    + " ("
                                    + e.category()
                                    + ")"));
                      })) {
        reader.termination().whenComplete((done, error) -> report.received.failIf(error));
        publisher.termination().whenComplete((done, error) -> report.received.failIf(error));
        EnrichStage enrich;
        if (inThisJvm != null) {
          inThisJvm.start();
          enrich = inThisJvm;
        } else {
          try {
            enrich =
                enrichLauncher.start(
                    raw.stream(), enriched.stream(), "enrich-" + streams.runId(), guarantee);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Could not start the enrich stage", e);
          }
        }
        stages.add(enrich);
        long rawSent = publishRaw(sluice, raw, options, out);
        if (inThisJvm != null
            && options.crashEnrichAfter() > 0
            && options.crashEnrichAfter() <= rawSent) {
          inThisJvm.awaitCrashAndRestart(deadline, out);
        }
        boolean finished = report.received.awaitAtLeast(rawSent, deadline);
        Result result =
            new Result(
                guarantee,
                rawSent,
                enrich.calls(),
                enrich.crashes(),
                report.received.get(),
                report.duplicates.get(),
                finished);
        out.printf(
            "Enrich called %d times (%d crash); report read %d events, %d duplicates%n",
            result.enrichCalls(), result.enrichCrashes(), result.received(), result.duplicates());
        out.println(result.verdict());
        return result;
      } finally {
        for (EnrichStage stage : stages) {
          stage.close();
        }
      }
    }
  }

  /** Stage 1: publishes the raw events keyed by user; how many were sent. */
  private static long publishRaw(
      Sluice sluice, Destination<String, RawEvent> raw, Options options, PrintStream out) {
    Random random = new Random();
    List<String> items = new ArrayList<>(CATEGORIES.keySet());
    List<CompletableFuture<SendResult>> sends = new ArrayList<>(options.events());
    long started = System.nanoTime();
    try (Producer<String, RawEvent> producer =
        sluice.producer(raw.stream(), raw.keySerde(), raw.valueSerde())) {
      for (int i = 1; i <= options.events(); i++) {
        String user = "user-" + random.nextInt(options.users());
        String item = items.get(random.nextInt(items.size()));
        String action = random.nextInt(4) == 0 ? "purchase" : "view";
        sends.add(producer.send(user, new RawEvent(i, user, item, action)));
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
    out.printf(
        "Stage raw: published %d events in %d ms%n",
        options.events(), (System.nanoTime() - started) / 1_000_000);
    return options.events();
  }

  /**
   * Starts the enrich stage: a processor in {@code group} that gives each raw event of {@code
   * rawStream} its item's category and sends it to {@code enrichedStream}. What a process running
   * only this stage calls; {@code beforeEach} runs before each call of the function (if it throws,
   * the call fails).
   *
   * @param sluice where the streams are
   * @param rawStream the raw events
   * @param enrichedStream where the enriched events go
   * @param group the stage's consumer group
   * @param guarantee the processing guarantee
   * @param beforeEach run before each call of the stage's function
   * @return the running stage
   */
  public static Processor startEnrich(
      Sluice sluice,
      String rawStream,
      String enrichedStream,
      String group,
      ProcessingGuarantee guarantee,
      Runnable beforeEach) {
    Destination<String, EnrichedEvent> enriched =
        Destination.of(enrichedStream, Serde.string(), Serde.json(EnrichedEvent.class));
    return sluice
        .processor(rawStream, Serde.string(), Serde.json(RawEvent.class))
        .group(group)
        .output(enriched)
        .guarantee(guarantee)
        .startPosition(StartPosition.earliest())
        // A crash stops the processor at once, not after retries.
        .failurePolicy(FailurePolicy.stopOnFailure())
        .start(
            (in, out) -> {
              beforeEach.run();
              RawEvent e = in.value();
              String category = CATEGORIES.getOrDefault(e.item(), "unknown");
              out.send(
                  enriched,
                  in.key(),
                  new EnrichedEvent(e.id(), e.user(), e.item(), category, e.action()));
            });
  }

  /** The enrich stage of one run, wherever it runs; closed when the run ends. */
  public interface EnrichStage extends AutoCloseable {
    /**
     * Calls of the stage's function so far, repeats after a crash included.
     *
     * @return the calls
     */
    long calls();

    /**
     * Times the stage crashed (or was killed) and was started again.
     *
     * @return the crashes
     */
    int crashes();

    /** Stops the stage. */
    @Override
    void close();
  }

  /** Starts the enrich stage of a run somewhere else than in the pipeline's own JVM. */
  @FunctionalInterface
  public interface EnrichLauncher {
    /**
     * Starts the stage, which must do what {@link #startEnrich} does.
     *
     * @param rawStream the raw events
     * @param enrichedStream where the enriched events go
     * @param group the stage's consumer group
     * @param guarantee the processing guarantee
     * @return the running stage
     * @throws java.io.IOException if it could not be started
     */
    EnrichStage start(
        String rawStream, String enrichedStream, String group, ProcessingGuarantee guarantee)
        throws java.io.IOException;
  }

  /** Stage 2, restartable: its function crashes once at the call the options say. */
  private static final class Enrich implements EnrichStage {
    final AtomicLong calls = new AtomicLong();
    final AtomicInteger crashes = new AtomicInteger();
    private final Sluice sluice;
    private final Destination<String, RawEvent> raw;
    private final Destination<String, EnrichedEvent> enriched;
    private final ProcessingGuarantee guarantee;
    private final int crashAfter;
    private final String group;
    private volatile Processor current;

    Enrich(
        Sluice sluice,
        Destination<String, RawEvent> raw,
        Destination<String, EnrichedEvent> enriched,
        ProcessingGuarantee guarantee,
        Options options,
        String runId) {
      this.sluice = sluice;
      this.raw = raw;
      this.enriched = enriched;
      this.guarantee = guarantee;
      this.crashAfter = options.crashEnrichAfter();
      this.group = "enrich-" + runId;
    }

    void start() {
      current =
          startEnrich(
              sluice,
              raw.stream(),
              enriched.stream(),
              group,
              guarantee,
              () -> {
                if (calls.incrementAndGet() == crashAfter) {
                  throw new IllegalStateException("simulated crash of the enrich stage");
                }
              });
    }

    @Override
    public long calls() {
      return calls.get();
    }

    @Override
    public int crashes() {
      return crashes.get();
    }

    /** Waits until the stage has stopped with its crash, then starts it again. */
    void awaitCrashAndRestart(Tally.Deadline deadline, PrintStream out)
        throws InterruptedException {
      try {
        current.termination().get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        out.println("Stage enrich stopped without crashing");
        return;
      } catch (java.util.concurrent.ExecutionException crashed) {
        out.printf(
            "Stage enrich crashed at record %d (%s); starting it again%n",
            crashAfter, crashed.getCause().getMessage());
      } catch (TimeoutException e) {
        out.println("Stage enrich did not crash before the timeout");
        return;
      }
      crashes.incrementAndGet();
      current.close();
      start();
    }

    @Override
    public void close() {
      Processor p = current;
      if (p != null) {
        p.close();
      }
    }
  }

  /** The final consumer: counts each event id, as a downstream service would see them. */
  private static final class Report {
    final Tally received = new Tally();
    final AtomicLong duplicates = new AtomicLong();
    private final Map<Long, Boolean> seen = new ConcurrentHashMap<>();

    void read(Record<String, PublishedEvent> record) {
      if (seen.putIfAbsent(record.value().id(), Boolean.TRUE) == null) {
        received.add(1);
      } else {
        duplicates.incrementAndGet();
      }
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
