package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Positions: ordered within a shard, printable and parseable, reported by sends. */
abstract class PositionTests extends ConformanceArea {
  @Test
  @DisplayName("increase within a shard and survive toString / parse")
  void comparableAndParseable() {
    String stream = stream(2);
    Keyed batch = keyed("pos", 6, 20);
    awaitAll(strings(stream).sendAll(batch.records));

    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(120, timeout());

    assertThat(got).hasIncreasingPositionsPerShard();
    for (Record<String, String> r : got) {
      Position p = r.position();
      Position parsed = Position.parse(p.toString());
      assertThat(parsed).isEqualTo(p).hasSameHashCodeAs(p);
      assertThat(parsed.compareTo(p)).isZero();
    }
  }

  @Test
  @DisplayName("a send reports the shard and position the consumer then sees")
  void sendResultMatchesReceived() {
    String stream = stream(3);
    Producer<String, String> producer = strings(stream);
    Map<String, SendResult> sent = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      sent.put("v" + i, await(producer.send("key-" + (i % 9), "v" + i)));
    }

    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(30, timeout());

    for (Record<String, String> r : got) {
      SendResult s = sent.get(r.value());
      assertThat(r.shard()).as("shard of %s", r.value()).isEqualTo(s.shard());
      assertThat(r.position()).as("position of %s", r.value()).isEqualTo(s.position());
      if (s.timestampMillis() != Record.NO_TIMESTAMP) {
        assertThat(r.timestampMillis())
            .as("timestamp of %s", r.value())
            .isEqualTo(s.timestampMillis());
      }
    }
  }

  @Test
  @DisplayName("a malformed position string fails to parse with INVALID_ARGUMENT")
  void malformedPosition() {
    assertThat(thrown(() -> Position.parse("not-a-position")))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .isNotBlank();
  }
}
