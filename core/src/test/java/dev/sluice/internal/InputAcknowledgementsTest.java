package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Position;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InputAcknowledgementsTest {
  private final List<Position> checkpoints = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final InputAcknowledgements acks =
      new InputAcknowledgements(checkpoints::add, failures::add);

  @Test
  @DisplayName(
      "an input is checkpointed only once its outputs and every earlier input's are stored")
  void waitsForEarlierInputs() {
    InputAcknowledgements.Input first = acks.add(Position.of(1), 2);
    InputAcknowledgements.Input second = acks.add(Position.of(2), 1);
    second.accept(null, null);
    first.accept(null, null);
    assertThat(checkpoints).isEmpty(); // one output of the first still on its way
    first.accept(null, null);
    assertThat(checkpoints).containsExactly(Position.of(2)); // both at once: the run's last
  }

  @Test
  @DisplayName("a failed output is reported and checkpoints nothing")
  void failure() {
    InputAcknowledgements.Input input = acks.add(Position.of(1), 1);
    IllegalStateException error = new IllegalStateException("not stored");
    input.accept(null, error);
    assertThat(failures).containsExactly(error);
    assertThat(checkpoints).isEmpty();
  }

  @Test
  @DisplayName(
      "acknowledged from many threads in any order: checkpoints only move forward, never past an"
          + " input with an output on its way, and end at the last input")
  void concurrentAcknowledgements() throws Exception {
    int inputs = 20_000;
    int outputsEach = 3;
    List<InputAcknowledgements.Input> pending = new ArrayList<>();
    List<Runnable> answers = new ArrayList<>();
    // Checked when each checkpoint is made: every input up to it has all its outputs stored.
    int[] stored = new int[inputs + 1];
    InputAcknowledgements checked =
        new InputAcknowledgements(
            p -> {
              for (int i = 1; i <= p.offset(); i++) {
                synchronized (stored) {
                  assertThat(stored[i]).as("outputs stored of input %d", i).isEqualTo(outputsEach);
                }
              }
              checkpoints.add(p);
            },
            failures::add);
    for (int i = 1; i <= inputs; i++) {
      InputAcknowledgements.Input in = checked.add(Position.of(i), outputsEach);
      pending.add(in);
      int input = i;
      for (int o = 0; o < outputsEach; o++) {
        answers.add(
            () -> {
              synchronized (stored) {
                stored[input]++;
              }
              in.accept(null, null);
            });
      }
    }
    Collections.shuffle(answers, new Random(42));
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    int per = answers.size() / threads;
    for (int t = 0; t < threads; t++) {
      List<Runnable> mine =
          answers.subList(t * per, t == threads - 1 ? answers.size() : (t + 1) * per);
      pool.execute(
          () -> {
            try {
              go.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            mine.forEach(Runnable::run);
          });
    }
    go.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    assertThat(failures).isEmpty();
    assertThat(checkpoints).isNotEmpty().isSorted().doesNotHaveDuplicates();
    assertThat(checkpoints.get(checkpoints.size() - 1)).isEqualTo(Position.of(inputs));
  }
}
