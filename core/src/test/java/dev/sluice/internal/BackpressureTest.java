package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Shard;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BackpressureTest {
  private static final Shard SHARD = Shard.of(3);

  /** Records what the driver was told; a pause can be held inside the driver call. */
  private static final class RecordingDriver extends IdleConsumerDriver {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final CountDownLatch inPause = new CountDownLatch(1);
    volatile CountDownLatch releasePause = new CountDownLatch(0);

    @Override
    public void pause(Shard shard) {
      calls.add("pause " + shard);
      inPause.countDown();
      try {
        releasePause.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void resume(Shard shard) {
      calls.add("resume " + shard);
    }
  }

  @Test
  @DisplayName("the driver hears each change of the wish once, and nothing when it did not change")
  void tellsChanges() {
    RecordingDriver driver = new RecordingDriver();
    Backpressure b = new Backpressure(driver, SHARD);
    assertThat(b.want(true)).isTrue();
    b.tellDriver();
    assertThat(b.want(true)).isFalse();
    b.tellDriver();
    assertThat(b.want(false)).isTrue();
    b.tellDriver();
    b.tellDriver();
    assertThat(driver.calls).containsExactly("pause 3", "resume 3");
  }

  @Test
  @DisplayName("a resume asked for while the pause is being told is told after it, not lost")
  void resumeDuringPause() throws Exception {
    RecordingDriver driver = new RecordingDriver();
    driver.releasePause = new CountDownLatch(1);
    Backpressure b = new Backpressure(driver, SHARD);
    b.want(true);
    Thread pausing = new Thread(b::tellDriver);
    pausing.start();
    assertThat(driver.inPause.await(10, TimeUnit.SECONDS)).isTrue();
    // The buffer drained while the driver is still inside pause: this thread must not call the
    // driver (its resume could overtake the pause) and must not be lost either.
    b.want(false);
    b.tellDriver();
    assertThat(driver.calls).containsExactly("pause 3");
    driver.releasePause.countDown();
    pausing.join(10_000);
    assertThat(pausing.isAlive()).isFalse();
    assertThat(driver.calls).containsExactly("pause 3", "resume 3");
  }
}
