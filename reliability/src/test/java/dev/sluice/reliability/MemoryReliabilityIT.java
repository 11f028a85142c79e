package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Sluice;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("reliability")
@DisplayName("Reliability on the memory backend")
class MemoryReliabilityIT {
  @Test
  @DisplayName(
      "a sustained run of 1,000,000 records with 4 producers and a group of 3: exact counts, per-key order, flat heap")
  void sustainedLoad() throws Exception {
    LoadRun run = new LoadRun(4, 50, Scale.times(5000), 3, 8);
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .set("sluice.memory.namespace", "reliability-" + UUID.randomUUID())
            .open()) {
      run.run(sluice, "load", "load-group", Duration.ofMinutes(2));
    }
    System.out.println(run.summary("memory"));
    assertThat(run.ledger.failedCount()).isZero();
    assertThat(run.ledger.ackedCount()).isEqualTo(run.total());
    assertThat(run.ledger.missingCount()).isZero();
    assertThat(run.ledger.disorder()).isEmpty();
    assertThat(run.ledger.duplicateCount()).isZero();
    // The memory backend keeps the stream's records on the heap (~200 MiB here) until the stream
    // is deleted; what must not stay is anything the clients hold once they are closed.
    assertThat(run.heapRetainedMib()).as("heap retained after the run, MiB").isLessThan(32);
  }
}
