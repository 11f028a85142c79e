package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.CheckpointMode;
import dev.sluice.FailurePolicy;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.ShardListener;
import dev.sluice.StartPosition;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BatchHintTest {
  private static final RecordHandler<String, String> HANDLER = r -> {};

  private static ConsumerSettings<String, String> settings(int maxBuffered, int maxPoll) {
    return new ConsumerSettings<>(
        "s",
        "g",
        Serde.string(),
        Serde.string(),
        StartPosition.earliest(),
        CheckpointMode.AUTO,
        Duration.ofSeconds(1),
        new ShardListener() {},
        FailurePolicy.defaults(),
        maxBuffered,
        maxPoll,
        Duration.ofSeconds(30));
  }

  @Test
  @DisplayName(
      "a pull consumer asks its driver for batches of maxPollRecords, what one poll returns")
  void pull() {
    assertThat(SluiceRuntime.batchHint(settings(5000, 500), null)).isEqualTo(500);
    assertThat(SluiceRuntime.batchHint(settings(5000, 7), null)).isEqualTo(7);
  }

  @Test
  @DisplayName("a handler consumer asks for larger batches, never more than a shard may buffer")
  void handler() {
    assertThat(SluiceRuntime.batchHint(settings(5000, 500), HANDLER))
        .isEqualTo(SluiceRuntime.HANDLER_BATCH_RECORDS);
    assertThat(SluiceRuntime.batchHint(settings(300, 500), HANDLER)).isEqualTo(300);
  }
}
