package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CheckpointTrackerTest {
  private static final Shard SHARD = Shard.of(0);

  private static Position at(long offset) {
    return Position.of(offset);
  }

  @Nested
  @DisplayName("positions the consumer reports only move forward")
  class ForwardOnly {
    @Test
    @DisplayName("a received position going back is a bug: IllegalStateException, nothing moves")
    void receivedBack() {
      CheckpointTracker t = new CheckpointTracker(SHARD, false);
      t.received(at(10));
      assertThatThrownBy(() -> t.received(at(9)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("received")
          .hasMessageContaining("10")
          .hasMessageContaining("9");
      // Still 10: a checkpoint of 10 is accepted.
      t.mark(at(10));
      assertThat(t.uncommitted()).isEqualTo(at(10));
    }

    @Test
    @DisplayName("a processed position going back is a bug: IllegalStateException")
    void processedBack() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(10));
      t.processed(at(8));
      assertThatThrownBy(() -> t.processed(at(7)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("processed");
      assertThat(t.uncommitted()).isEqualTo(at(8));
    }

    @Test
    @DisplayName("the same position again is not backwards")
    void samePosition() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(5));
      t.received(at(5));
      t.processed(at(5));
      t.processed(at(5));
      assertThat(t.caughtUp()).isTrue();
    }
  }

  @Nested
  @DisplayName("marking a checkpoint")
  class Marking {
    @Test
    @DisplayName("a position not received yet is refused with INVALID_ARGUMENT")
    void notReceived() {
      CheckpointTracker t = new CheckpointTracker(SHARD, false);
      assertThatThrownBy(() -> t.mark(at(0)))
          .isInstanceOfSatisfying(
              SluiceException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .hasMessageContaining("has not been delivered to this consumer yet");
      t.received(at(3));
      assertThatThrownBy(() -> t.mark(at(4))).isInstanceOf(SluiceException.class);
      assertThat(t.uncommitted()).isNull();
    }

    @Test
    @DisplayName("an earlier checkpoint from the application leaves the later one in place")
    void earlierMarkIgnored() {
      CheckpointTracker t = new CheckpointTracker(SHARD, false);
      t.received(at(9));
      t.mark(at(7));
      t.mark(at(4));
      assertThat(t.uncommitted()).isEqualTo(at(7));
    }

    @Test
    @DisplayName("with manual checkpoints, processing marks nothing")
    void manualProcessingMarksNothing() {
      CheckpointTracker t = new CheckpointTracker(SHARD, false);
      t.received(at(9));
      t.processed(at(9));
      assertThat(t.uncommitted()).isNull();
      assertThat(t.caughtUp()).isFalse();
      t.mark(at(9));
      assertThat(t.caughtUp()).isTrue();
    }

    @Test
    @DisplayName(
        "with automatic checkpoints, processing an earlier record does not undo a later mark")
    void autoDoesNotUndoLaterMark() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(9));
      t.mark(at(8));
      t.processed(at(5));
      assertThat(t.uncommitted()).isEqualTo(at(8));
      t.processed(at(9));
      assertThat(t.uncommitted()).isEqualTo(at(9));
    }
  }

  @Nested
  @DisplayName("committing")
  class Committing {
    @Test
    @DisplayName("a committed mark is no longer pending; a later mark is")
    void pendingAfterCommit() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(9));
      t.processed(at(4));
      t.committed(at(4));
      assertThat(t.uncommitted()).isNull();
      assertThat(t.processedSinceCommit()).isFalse();
      t.processed(at(6));
      assertThat(t.uncommitted()).isEqualTo(at(6));
      assertThat(t.processedSinceCommit()).isTrue();
    }

    @Test
    @DisplayName("a late confirmation of an older commit does not move the committed position back")
    void lateConfirmation() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(9));
      t.processed(at(9));
      t.committed(at(9));
      t.committed(at(5));
      assertThat(t.uncommitted()).isNull();
      assertThat(t.processedSinceCommit()).isFalse();
    }
  }

  @Test
  @DisplayName("caught up when nothing was received, or everything received is processed")
  void caughtUp() {
    CheckpointTracker t = new CheckpointTracker(SHARD, true);
    assertThat(t.caughtUp()).isTrue();
    t.received(at(3));
    assertThat(t.caughtUp()).isFalse();
    t.processed(at(2));
    assertThat(t.caughtUp()).isFalse();
    t.processed(at(3));
    assertThat(t.caughtUp()).isTrue();
  }

  @Nested
  @DisplayName("a seek (Consumer.seek) moves the checkpoint with it")
  class Seek {
    @Test
    @DisplayName("while a seek is under way nothing is handed out to commit")
    void heldBackWhileSeeking() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(10));
      t.processed(at(10));
      t.seeking();
      assertThat(t.toCommit()).isNull();
      assertThat(t.uncommitted()).isNull();
    }

    @Test
    @DisplayName("a failed seek leaves every position as it was")
    void failedSeek() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(10));
      t.processed(at(10));
      t.seeking();
      t.seekFailed();
      assertThat(t.uncommitted()).isEqualTo(at(10));
    }

    @Test
    @DisplayName(
        "after the move, earlier positions are received and checkpointed; a late confirmation of"
            + " an older commit is ignored")
    void movedBack() {
      CheckpointTracker t = new CheckpointTracker(SHARD, true);
      t.received(at(50));
      t.processed(at(50));
      CheckpointTracker.ToCommit before = t.toCommit();
      t.seeking();
      t.moved();
      assertThat(t.uncommitted()).as("the driver stored the seek's position").isNull();
      t.received(at(3));
      t.processed(at(3));
      t.committed(before);
      assertThat(t.uncommitted()).isEqualTo(at(3));
      t.mark(at(3));
      assertThat(t.caughtUp()).isTrue();
    }
  }
}
