package dev.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testbrokers.KinesisEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness in-process with tiny sizes on every backend: it completes and writes its table.
 * Speed is not asserted (the build machine is shared); the real numbers come from a full run.
 */
class BenchmarkSmokeIT {
  @TempDir Path dir;

  @Test
  void memoryAndKafkaRunAndWriteTheTable() throws Exception {
    Path out = dir.resolve("bench-results.md");
    Table table =
        Bench.run(
            "--backend",
            "memory,kafka",
            "--records",
            "2000",
            "--rounds",
            "1",
            "--warmup-records",
            "0",
            "--latency-records",
            "200",
            "--latency-rate",
            "1000",
            "--output",
            out.toString());

    String written = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(written)
        .contains("| Backend | Measure |")
        .contains("| memory | produce records/s |")
        .contains("| kafka | produce records/s |")
        .contains("| kafka | produce records/s, a future per send |")
        .contains("| kafka | produce: client CPU per record |")
        .contains("| kafka | consume: client CPU per record |")
        .contains("| kafka | end-to-end latency p99 |")
        .contains("KRaft broker in a JVM of its own");
    for (Table.Row row : table.rows()) {
      if (row.hasRaw) {
        assertThat(row.raw).as(row.backend + " " + row.measure + " raw").hasSize(1);
      }
      if (row.pending == null) {
        assertThat(row.sluice).as(row.backend + " " + row.measure + " sluice").hasSize(1);
      }
    }
  }

  @Test
  void pipelineRunsBothSidesInBothModes() throws Exception {
    Path out = dir.resolve("bench-pipeline.md");
    Table table =
        Bench.run(
            "--backend",
            "kafka-pipeline",
            "--records",
            "2000",
            "--rounds",
            "1",
            "--warmup-records",
            "0",
            "--latency-records",
            "200",
            "--latency-rate",
            "1000",
            "--output",
            out.toString());

    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .contains("| kafka pipeline | exactly-once records/s |")
        .contains("| kafka pipeline | exactly-once end-to-end latency p99 |")
        .contains("| kafka pipeline | at-least-once records/s |")
        .contains("| kafka pipeline | at-least-once end-to-end latency p99 |")
        .contains("Kafka Streams 4.4.0 topology");
    assertThat(table.rows()).hasSize(8);
    for (Table.Row row : table.rows()) {
      assertThat(row.pending).as(row.measure).isNull();
      assertThat(row.raw).as(row.measure + " Kafka Streams").hasSize(1);
      assertThat(row.sluice).as(row.measure + " Sluice").hasSize(1);
    }
  }

  @Test
  void kinesisRunsAndWritesTheTable() throws Exception {
    // Reported as skipped, not passed, when the build asks to skip the Kinesis tests.
    Assumptions.assumeFalse(
        KinesisEmulator.skipRequested(),
        "Kinesis integration tests skipped: -Dsluice.it.kinesis=skip is set");
    Path out = dir.resolve("bench-kinesis.md");
    Table table =
        Bench.run(
            "--backend",
            "kinesis",
            "--records",
            "1000",
            "--kinesis-batch",
            "100",
            "--rounds",
            "1",
            "--warmup-records",
            "0",
            "--output",
            out.toString());

    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .contains("| kinesis | produce records/s |");
    for (Table.Row row : table.rows()) {
      assertThat(row.raw).as(row.measure + " raw").hasSize(1);
      if (row.pending == null) {
        assertThat(row.sluice).as(row.measure + " sluice").hasSize(1);
      }
    }
  }
}
