package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.GroupAdmin;
import dev.sluice.GroupDescription;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.ShardProgress;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Group administration: list, describe with lag, reset (refused while members live), delete. */
abstract class GroupAdminTests extends ConformanceArea {
  private GroupAdmin groups() {
    return sluice().groups();
  }

  /** Reads the whole stream in {@code group}, then leaves: the group is caught up at {@code n}. */
  private void readAllThenLeave(String stream, String group, int n) {
    RecordCollector<String, String> c =
        collect(consumerOf(stream).group(group).startPosition(StartPosition.earliest()));
    c.awaitCount(n, timeout());
    c.close();
  }

  @Test
  @DisplayName("a reset moves the group: its next consumer starts exactly at the position or time")
  void resetThenConsumeFromThere() {
    String stream = stream(1);
    String group = group();
    List<SendResult> early = sendValues(stream, "v", 6);
    Instant boundary = Instant.now().plusMillis(1);
    Await.clockPasses(boundary);
    sendValues(stream, "w", 4);
    Shard shard = early.get(0).shard();
    readAllThenLeave(stream, group, 10);

    groups().resetGroup(stream, group, StartPosition.at(shard, early.get(3).position()));
    RecordCollector<String, String> fromPosition = collect(consumerOf(stream).group(group));
    List<Record<String, String>> got = fromPosition.awaitCount(7, timeout());
    assertThat(got).hasValuesInOrder("v3", "v4", "v5", "w0", "w1", "w2", "w3");
    fromPosition.close();

    groups().resetGroup(stream, group, StartPosition.atTimestamp(boundary));
    RecordCollector<String, String> fromTime = collect(consumerOf(stream).group(group));
    got = fromTime.awaitCount(4, timeout());
    Await.holdsFor("nothing before the time arrives", quietPeriod(), () -> fromTime.size() == 4);
    assertThat(got).hasValuesInOrder("w0", "w1", "w2", "w3");
  }

  @Test
  @DisplayName("describe shows the checkpoint, and the lag of records sent after it")
  void describeShowsLag() {
    String stream = stream(1);
    String group = group();
    List<SendResult> read = sendValues(stream, "r", 5);
    readAllThenLeave(stream, group, 5);
    List<SendResult> unread = sendValues(stream, "u", 3);
    // The oldest unread record is then at least a second old, however coarse a backend's clock.
    Await.clockPasses(Instant.now().plusMillis(1100));

    assertThat(groups().listGroups(stream)).contains(group);
    GroupDescription d = groups().describeGroup(stream, group);
    assertThat(d.members()).isEmpty();
    ShardProgress p =
        d.shards().stream()
            .filter(s -> s.shard().equals(read.get(0).shard()))
            .findFirst()
            .orElseThrow();
    assertThat(p.checkpoint()).contains(read.get(4).position());
    assertThat(p.owner()).isEmpty();
    if (p.lagRecords().isPresent()) {
      assertThat(p.lagRecords().getAsLong()).isEqualTo(3);
      assertThat(d.totalLag().getAsLong()).isEqualTo(3);
    }
    p.latest().ifPresent(latest -> assertThat(latest).isEqualTo(unread.get(2).position()));
    assertThat(p.lagTime())
        .hasValueSatisfying(t -> assertThat(t).isGreaterThanOrEqualTo(Duration.ofSeconds(1)));
  }

  @Test
  @DisplayName("reset and delete are refused while the group has a live member, then allowed")
  void refusedWhileLive() {
    String stream = stream(1);
    String group = group();
    sendValues(stream, "v", 3);
    RecordCollector<String, String> live =
        collect(consumerOf(stream).group(group).startPosition(StartPosition.earliest()));
    live.awaitCount(3, timeout());

    assertThat(thrown(() -> groups().resetGroup(stream, group, StartPosition.earliest())).code())
        .isEqualTo(ErrorCode.FAILED_PRECONDITION);
    assertThat(thrown(() -> groups().deleteGroup(stream, group)).code())
        .isEqualTo(ErrorCode.FAILED_PRECONDITION);
    assertThat(groups().describeGroup(stream, group).members()).isNotEmpty();

    live.close();
    groups().resetGroup(stream, group, StartPosition.earliest());
    List<Record<String, String>> again =
        collect(consumerOf(stream).group(group)).awaitCount(3, timeout());
    assertThat(again).hasValuesInOrder("v0", "v1", "v2");
  }

  @Test
  @DisplayName("a deleted group is gone: not listed, not described")
  void deleteForgetsGroup() {
    String stream = stream(1);
    String group = group();
    sendValues(stream, "v", 2);
    readAllThenLeave(stream, group, 2);

    groups().deleteGroup(stream, group);

    assertThat(groups().listGroups(stream)).doesNotContain(group);
    assertThat(thrown(() -> groups().describeGroup(stream, group)).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(thrown(() -> groups().deleteGroup(stream, group)).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(thrown(() -> groups().listGroups("no-such-stream-" + group)).code())
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("a reset to latest skips what was sent before it")
  void resetToLatest() {
    String stream = stream(1);
    String group = group();
    sendValues(stream, "old", 3);
    readAllThenLeave(stream, group, 3);
    groups().resetGroup(stream, group, StartPosition.earliest());
    groups().resetGroup(stream, group, StartPosition.latest());
    RecordCollector<String, String> c = collect(consumerOf(stream).group(group));
    // Sends a new record now and then until one arrives: then the consumer reads the stream live.
    long[] lastSend = {0};
    Await.until(
        "a record sent after the reset arrives",
        timeout(),
        () -> {
          if (System.nanoTime() - lastSend[0] > 200_000_000L) {
            lastSend[0] = System.nanoTime();
            await(strings(stream).send("k", "new"));
          }
          return c.size() > 0;
        });
    assertThat(c.values()).allMatch("new"::equals);
  }
}
