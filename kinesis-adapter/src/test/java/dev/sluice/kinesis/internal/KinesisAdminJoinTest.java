package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KinesisAdminJoinTest {
  @Test
  @DisplayName(
      "a call whose answer never comes (its client closed mid-retry) fails with TIMEOUT and is"
          + " cancelled, instead of holding its thread forever")
  void callThatNeverEnds() {
    CompletableFuture<String> never = new CompletableFuture<>();
    assertThatThrownBy(() -> KinesisAdmin.join(never, Duration.ofMillis(100)))
        .isInstanceOfSatisfying(
            SluiceException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
              assertThat(e).hasMessageContaining("did not answer within PT0.1S");
            });
    assertThat(never).isCancelled();
  }

  @Test
  @DisplayName("a call that answers in time returns its answer")
  void callThatEnds() {
    assertThat(KinesisAdmin.join(CompletableFuture.completedFuture("ok"), Duration.ofMillis(100)))
        .isEqualTo("ok");
  }
}
