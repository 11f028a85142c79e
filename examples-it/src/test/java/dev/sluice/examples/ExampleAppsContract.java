package dev.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ProcessingGuarantee;
import dev.sluice.Sluice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every example app, run in-process on one backend and judged by its own verdict. A backend's test
 * class extends this and opens a {@link Sluice} for it from explicit settings, so nothing depends
 * on the machine's environment or on global state.
 */
abstract class ExampleAppsContract {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
  private Sluice sluice;

  /** A Sluice on the backend under test. */
  protected abstract Sluice openSluice();

  /**
   * Settings with which a JVM of its own reaches the same broker, for a stage the test kills; null
   * (the default) where streams live in this JVM only.
   */
  protected @Nullable Map<String, String> stageJvmSettings() {
    return null;
  }

  /** How long an app may wait for its verdict. */
  protected Duration timeout() {
    return Duration.ofSeconds(30);
  }

  private CommonOptions common() {
    return CommonOptions.defaults().withTimeout(timeout());
  }

  @BeforeEach
  void open() {
    sluice = openSluice();
  }

  @AfterEach
  void close() {
    sluice.close();
  }

  private String output() {
    return output.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("the quickstart receives every greeting it sent")
  void quickstart() throws Exception {
    Quickstart.Result result = Quickstart.run(sluice, new Quickstart.Options(25, common()), out);

    assertThat(result.allReceived()).as(output()).isTrue();
    assertThat(output()).contains("Produced 25 records, consumed 25.");
  }

  @Test
  @DisplayName("activity tracking counts every page event once, with three consumers in a group")
  void activityTracking() throws Exception {
    ActivityTracking.Options options =
        new ActivityTracking.Options(2000, 50, 4, 3, 0, 3, Duration.ofMillis(500), common());

    ActivityTracking.Result result = ActivityTracking.run(sluice, options, out);

    assertThat(result.countsMatch()).as(output()).isTrue();
    assertThat(result.counted().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2000);
    assertThat(output()).contains("COUNTS MATCH: 2000 events");
  }

  @Test
  @DisplayName("the bank ledger applies every account's transactions in order, two consumers")
  void bankLedger() throws Exception {
    BankLedger.Result result =
        BankLedger.run(sluice, new BankLedger.Options(10, 2000, 4, 2, common()), out);

    assertThat(result.ok()).as(output()).isTrue();
    assertThat(result.verdict()).isEqualTo("ORDERED");
    assertThat(result.applied()).isEqualTo(2000);
    assertThat(result.appliedChecksum()).isEqualTo(result.sentChecksum());
    assertThat(output()).contains("ORDERED", "BALANCES MATCH");
  }

  @Test
  @DisplayName(
      "the pipeline's processors output every raw event once (exactly once where the backend has"
          + " transactions)")
  void pipeline() throws Exception {
    Pipeline.Result result =
        Pipeline.run(sluice, new Pipeline.Options(1500, 20, 3, 0, common()), out);

    assertThat(result.reconciled()).as(output()).isTrue();
    assertThat(result.rawSent()).isEqualTo(1500);
    assertThat(result.received()).isEqualTo(1500);
    assertThat(result.duplicates()).as(output()).isZero();
    assertThat(output()).contains("RECONCILED", "Guarantee: " + result.guarantee());
  }

  @Test
  @DisplayName(
      "the pipeline reconciles when its enrich stage crashes mid-stream and is started again:"
          + " no event lost, and no duplicate under EXACTLY_ONCE")
  void pipelineWithCrashedStage() throws Exception {
    Pipeline.Result result =
        Pipeline.run(sluice, new Pipeline.Options(1500, 20, 3, 500, common()), out);

    assertThat(result.reconciled()).as(output()).isTrue();
    assertThat(result.enrichCrashes()).as(output()).isEqualTo(1);
    assertThat(result.received()).isEqualTo(1500);
    assertThat(result.guarantee())
        .isEqualTo(
            sluice.capabilities().supports(dev.sluice.Capabilities.Capability.TRANSACTIONS)
                    || sluice
                        .capabilities()
                        .supports(dev.sluice.Capabilities.Capability.DEDUPLICATION)
                ? dev.sluice.ProcessingGuarantee.EXACTLY_ONCE
                : dev.sluice.ProcessingGuarantee.AT_LEAST_ONCE);
    if (result.guarantee() == dev.sluice.ProcessingGuarantee.EXACTLY_ONCE) {
      assertThat(result.duplicates()).as(output()).isZero();
    }
    assertThat(output()).contains("Stage enrich crashed at record 500", "RECONCILED");
  }

  @Test
  @DisplayName(
      "the pipeline reconciles exactly when its enrich stage runs in a JVM of its own that is"
          + " killed with kill -9 mid-run and started again")
  void pipelineWithKilledStageJvm() throws Exception {
    Map<String, String> settings = stageJvmSettings();
    Assumptions.assumeTrue(settings != null, "the backend's streams live in this JVM only");
    AtomicReference<KillableEnrichStage> stage = new AtomicReference<>();
    // 3 shards, each call pausing 5 ms: about 600 events/s, so the kill at 500 lands mid-run.
    Pipeline.EnrichLauncher killedAt500 =
        KillableEnrichStage.launcher(settings, 500, 5, stage::set);
    Pipeline.Options options =
        new Pipeline.Options(
            1500, 20, 3, 0, CommonOptions.defaults().withTimeout(Duration.ofSeconds(180)));

    Pipeline.Result result = Pipeline.run(sluice, options, out, killedAt500);

    assertThat(result.guarantee()).isEqualTo(ProcessingGuarantee.EXACTLY_ONCE);
    assertThat(result.enrichCrashes()).as(output()).isEqualTo(1);
    assertThat(stage.get().callsWhenKilled.get())
        .as("calls of the killed JVM: it was killed mid-run")
        .isBetween(500L, 1499L);
    assertThat(result.reconciled()).as(output()).isTrue();
    assertThat(result.received()).isEqualTo(1500);
    assertThat(result.duplicates()).as(output()).isZero();
    assertThat(output()).contains("RECONCILED");
  }

  @Test
  @DisplayName("an app deletes its streams at the end, or keeps them with --keep")
  void streamsDeletedUnlessKept() throws Exception {
    String deleted = "examples-deleted-" + UUID.randomUUID().toString().substring(0, 8);
    CommonOptions delete = new CommonOptions(deleted, timeout(), false);
    Quickstart.run(sluice, new Quickstart.Options(3, delete), out);
    assertThat(sluice.admin().exists(deleted)).isFalse();

    String kept = "examples-kept-" + UUID.randomUUID().toString().substring(0, 8);
    CommonOptions keep = new CommonOptions(kept, timeout(), true);
    Quickstart.run(sluice, new Quickstart.Options(3, keep), out);
    assertThat(sluice.admin().exists(kept)).isTrue();
    sluice.admin().deleteStream(kept);
  }
}
