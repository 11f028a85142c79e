package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testbrokers.KinesisFaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A standalone consumer whose shard iterators expire: the loopback proxy answers {@code GetRecords}
 * with the {@code ExpiredIteratorException} Kinesis returns for an iterator unused for five
 * minutes, and the consumer must carry on from where it was with nothing lost or repeated.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis standalone consumer: expired shard iterators")
class ExpiredIteratorIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static KinesisFaultProxy proxy;
  private static Sluice sluice;
  private static final AtomicBoolean expireAll = new AtomicBoolean();

  @BeforeAll
  static void open(KinesisEmulator kinesis, DynamoDbEmulator dynamo) throws Exception {
    proxy =
        new KinesisFaultProxy(kinesis.endpoint())
            .inject("GetRecords", KinesisFaultProxy.EXPIRED_ITERATOR, n -> expireAll.get())
            // Every third read otherwise: the consumer re-positions again and again mid-stream.
            .inject("GetRecords", KinesisFaultProxy.EXPIRED_ITERATOR, n -> n % 3 == 0);
    sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .properties(
                KinesisTestBrokers.viaProxy(kinesis, dynamo, proxy.endpoint())
                    .maxBatchRecords(7) // many small reads, so many expiries between records
                    .pollInterval(Duration.ofMillis(50))
                    .build()
                    .toMap())
            .open();
  }

  @AfterAll
  static void close() throws Exception {
    if (sluice != null) {
      sluice.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  private static String newStream(int shards) {
    String name = "expiry-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  @Test
  @DisplayName(
      "iterators expiring every third read, from the earliest record: every record once, in order"
          + " per key")
  void expiriesMidStream() throws Exception {
    String stream = newStream(2);
    Map<String, List<Integer>> received = new ConcurrentHashMap<>();
    List<String> all = new CopyOnWriteArrayList<>();
    int keys = 10;
    int perKey = 30;
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      sendAll(producer, keys, 0, perKey / 2);
      int before = proxy.injected("GetRecords");
      try (Consumer<String, String> consumer =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .startPosition(StartPosition.earliest())
              .start(
                  r -> {
                    all.add(r.key() + "/" + r.value());
                    received
                        .computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                        .add(Integer.parseInt(r.value()));
                  })) {
        // Half before the consumer started, half while it reads.
        sendAll(producer, keys, perKey / 2, perKey);
        await(() -> all.size() >= keys * perKey);
        // Reads keep going after the last record: a duplicate would show up in the meantime.
        int reads = proxy.calls("GetRecords");
        await(() -> proxy.calls("GetRecords") > reads + 10);
        assertThat(consumer.termination()).isNotDone();
      }
      assertThat(proxy.injected("GetRecords") - before)
          .as("reads answered 'expired'")
          .isGreaterThan(5);
    }
    assertThat(all).as("every record exactly once").doesNotHaveDuplicates().hasSize(keys * perKey);
    for (int k = 0; k < keys; k++) {
      List<Integer> expected = new ArrayList<>();
      for (int seq = 0; seq < perKey; seq++) {
        expected.add(seq);
      }
      assertThat(received.get("k" + k)).as("order of key k" + k).isEqualTo(expected);
    }
  }

  @Test
  @DisplayName(
      "a latest consumer whose iterator expires before anything arrived still receives what was"
          + " written while it was expired")
  void expiryBeforeFirstRecordAtLatest() throws Exception {
    String stream = newStream(1);
    List<String> received = new CopyOnWriteArrayList<>();
    CountDownLatch assigned = new CountDownLatch(1);
    try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.latest())
                .listener(
                    new ShardListener() {
                      @Override
                      public void onAssigned(Assigned event) {
                        assigned.countDown();
                      }
                    })
                .start(r -> received.add(r.value()))) {
      assertThat(assigned.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      // Let the first LATEST iterator be made and used once.
      int reads = proxy.calls("GetRecords");
      await(() -> proxy.calls("GetRecords") > reads + 1);
      // From now on every read is answered "expired", so nothing can be read until the records
      // below are stored; the iterator the consumer asks for afterwards is made after them, and a
      // fresh LATEST one would skip them.
      expireAll.set(true);
      try {
        List<String> sent = new ArrayList<>();
        List<CompletableFuture<SendResult>> acks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          sent.add("v" + i);
          acks.add(producer.send("key", "v" + i));
        }
        CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0]))
            .get(60, TimeUnit.SECONDS);
        int expired = proxy.injected("GetRecords");
        await(() -> proxy.injected("GetRecords") > expired + 1);
        expireAll.set(false);
        await(() -> received.size() >= sent.size());
        assertThat(received).isEqualTo(sent);
        assertThat(consumer.termination()).isNotDone();
      } finally {
        expireAll.set(false);
      }
    }
  }

  private static void sendAll(Producer<String, String> producer, int keys, int from, int to)
      throws Exception {
    List<CompletableFuture<SendResult>> acks = new ArrayList<>();
    for (int seq = from; seq < to; seq++) {
      for (int k = 0; k < keys; k++) {
        acks.add(producer.send("k" + k, Integer.toString(seq)));
      }
    }
    CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
