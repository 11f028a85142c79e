package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import dev.sluice.Capabilities;
import dev.sluice.Consumer;
import dev.sluice.ConsumerBuilder;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The base of every area of the conformance kit (records, routing, groups, metrics, ...): the
 * Sluice opened for each test, and the helpers the areas share. An area is an abstract subclass
 * holding the {@code @Test}s of one subject, in a file of its own; {@link SluiceConformanceTest}
 * runs it against a backend by nesting a subclass of it (see there how to add one).
 *
 * <p>Before each test, the area asks the enclosing {@link SluiceConformanceTest} for a harness and
 * opens a Sluice with it; after the test, it closes what the test {@linkplain #track tracked} or
 * {@linkplain #open opened}, in reverse order, and deletes the streams it {@linkplain #stream
 * created} or added to {@link #streams}.
 *
 * <p>Which areas and tests run is chosen by {@link KitAreaFilter}: the backend's {@link KitAreas}
 * default, or {@code -Dsluice.kit.area=Seeks,Groups} (or {@code all}) for a run.
 */
@ExtendWith(ConformanceArea.KitHarness.class)
@ExtendWith(KitAreaFilter.class)
abstract class ConformanceArea {
  private @Nullable ConformanceHarness harness;
  private @Nullable Sluice sluice;

  /** Sluice instances opened for the test besides {@link #sluice()}; closed after it. */
  final List<Sluice> opened = new CopyOnWriteArrayList<>();

  private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

  /** Streams to delete after the test: add one the test creates itself. */
  final Set<String> streams = ConcurrentHashMap.newKeySet();

  @BeforeEach
  final void openSluiceForConformanceTest(ConformanceHarness backend) {
    harness = backend;
    sluice = open();
  }

  @AfterEach
  final void cleanUpAfterConformanceTest() {
    List<AutoCloseable> toClose = new ArrayList<>(resources);
    Collections.reverse(toClose);
    for (AutoCloseable r : toClose) {
      closeQuietly(r);
    }
    opened.forEach(ConformanceArea::closeQuietly);
    ConformanceHarness h = harness;
    if (h == null) {
      return;
    }
    try {
      if (!streams.isEmpty()) {
        try (Sluice cleaner = h.open()) {
          h.deleteStreams(cleaner, new ArrayList<>(streams));
        }
      }
    } finally {
      h.close();
    }
  }

  /**
   * Gives {@link #openSluiceForConformanceTest} the harness of the backend under test: {@link
   * SluiceConformanceTest#harness()} of the kit instance this area is nested in. An area is a
   * top-level class, so it cannot call the kit itself; JUnit makes each nested test instance inside
   * an instance of the backend's kit subclass and knows that enclosing instance.
   */
  static final class KitHarness implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == ConformanceHarness.class
          && parameter.getDeclaringExecutable().getDeclaringClass() == ConformanceArea.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      for (Object enclosing : context.getRequiredTestInstances().getEnclosingInstances()) {
        if (enclosing instanceof SluiceConformanceTest) {
          return ((SluiceConformanceTest) enclosing).harness();
        }
      }
      throw new ParameterResolutionException(
          context.getRequiredTestClass().getName()
              + " is an area of the conformance kit: it runs nested in SluiceConformanceTest"
              + " (`@Nested class ... extends ...` there), not on its own");
    }
  }

  /** The harness of the running test: names, time budgets, more Sluice instances. */
  final ConformanceHarness harnessNow() {
    ConformanceHarness h = harness;
    if (h == null) {
      throw new IllegalStateException("No test is running");
    }
    return h;
  }

  /** The Sluice opened for the running test. */
  final Sluice sluice() {
    Sluice s = sluice;
    if (s == null) {
      throw new IllegalStateException("No test is running");
    }
    return s;
  }

  /** Opens another Sluice for the backend (a restart); closed after the test. */
  final Sluice open() {
    Sluice s = harnessNow().open();
    opened.add(s);
    return s;
  }

  final Capabilities caps() {
    return sluice().capabilities();
  }

  final String backend() {
    return sluice().backend();
  }

  final Duration timeout() {
    return harnessNow().deliveryTimeout();
  }

  final Duration quietPeriod() {
    return harnessNow().quietPeriod();
  }

  /** Creates a stream with a fresh name; deleted after the test. */
  final String stream(int shards) {
    String name = harnessNow().newStreamName();
    streams.add(name);
    sluice().admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  final String group() {
    return harnessNow().newGroupName();
  }

  final <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  final Producer<String, String> strings(String stream) {
    return track(sluice().producer(stream, Serde.string(), Serde.string()));
  }

  final ConsumerBuilder<String, String> consumerOf(String stream) {
    return consumerOf(sluice(), stream);
  }

  final ConsumerBuilder<String, String> consumerOf(Sluice s, String stream) {
    return s.consumer(stream, Serde.string(), Serde.string());
  }

  final <K, V> RecordCollector<K, V> collect(ConsumerBuilder<K, V> builder) {
    return track(RecordCollector.of(builder));
  }

  final <K, V> RecordCollector<K, V> collect(
      ConsumerBuilder<K, V> builder, dev.sluice.RecordHandler<K, V> then) {
    return track(RecordCollector.of(builder, then));
  }

  final RecordCollector<byte[], byte[]> bytesCollector(String stream) {
    return track(RecordCollector.of(sluice(), stream));
  }

  final List<SendResult> sendValues(String stream, String prefix, int count) {
    return sendValuesList(
        stream, IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.toList()));
  }

  /** Sends values one by one with one key, each stored before the next is sent. */
  final List<SendResult> sendValuesList(String stream, List<String> values) {
    Producer<String, String> producer = strings(stream);
    List<SendResult> results = new ArrayList<>();
    for (String v : values) {
      results.add(await(producer.send("the-key", v)));
    }
    return results;
  }

  final SendResult await(CompletableFuture<SendResult> send) {
    try {
      return send.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("The send failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("The send did not complete within " + timeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  final List<SendResult> awaitAll(List<CompletableFuture<SendResult>> sends) {
    List<SendResult> out = new ArrayList<>(sends.size());
    for (CompletableFuture<SendResult> f : sends) {
      out.add(await(f));
    }
    return out;
  }

  /** The error a future failed with; fails the test if it succeeds or does not finish in time. */
  final SluiceException failureOf(CompletableFuture<?> future) {
    try {
      Object result = future.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("Expected a failure but it succeeded with " + result);
    } catch (ExecutionException e) {
      return sluiceError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "Expected a failure within " + timeout() + " but the future is pending", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  /** The error a call threw; fails the test if it returns normally. */
  static SluiceException thrown(ThrowingCallable call) {
    Throwable t = catchThrowable(call);
    if (t == null) {
      fail("Expected a SluiceException but the call returned normally");
    }
    return sluiceError(t);
  }

  static SluiceException sluiceError(@Nullable Throwable t) {
    assertThat(t).as("the error").isInstanceOf(SluiceException.class);
    return (SluiceException) t;
  }

  /** The error a consumer stopped with; fails if it does not stop with an error in time. */
  final SluiceException terminationError(Consumer<?, ?> consumer) {
    try {
      consumer.termination().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError(
          "Expected the consumer to stop with an error but it stopped normally");
    } catch (ExecutionException e) {
      return sluiceError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "Expected the consumer to stop with an error within " + timeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  final Duration allowedRetention(Duration wanted) {
    Duration min = caps().minRetention();
    Duration max = caps().maxRetention();
    Duration r = wanted;
    if (min != null && r.compareTo(min) < 0) {
      r = min;
    }
    if (max != null && r.compareTo(max) > 0) {
      r = max;
    }
    return r;
  }

  static <K, V> List<V> collectorValues(List<Record<K, V>> records) {
    return records.stream().map(Record::value).collect(Collectors.toList());
  }

  /** A null where the API wants a value, to check it is refused (the compiler cannot tell). */
  static String nullString() {
    return null;
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // Cleaning up after a test: the test's outcome is what matters.
    }
  }

  final Keyed keyed(String prefix, int keys, int perKey) {
    return keyed(prefix, keys, perKey, 0);
  }

  static Keyed keyed(String prefix, int keys, int perKey, int from) {
    List<Record<String, String>> records = new ArrayList<>();
    Map<String, List<String>> perKeyValues = new LinkedHashMap<>();
    for (int i = from; i < from + perKey; i++) {
      for (int k = 0; k < keys; k++) {
        String key = prefix + "-" + k;
        String value = String.format("%s#%05d", key, i);
        records.add(Record.of(key, value));
        perKeyValues.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
      }
    }
    return new Keyed(records, perKeyValues);
  }

  /** Records interleaved across keys, in send order, and the values each key must arrive with. */
  static final class Keyed {
    final List<Record<String, String>> records;
    final Map<String, List<String>> perKey;

    Keyed(List<Record<String, String>> records, Map<String, List<String>> perKey) {
      this.records = records;
      this.perKey = perKey;
    }

    List<String> values() {
      return collectorValues(records);
    }

    Keyed concat(Keyed other) {
      List<Record<String, String>> all = new ArrayList<>(records);
      all.addAll(other.records);
      Map<String, List<String>> merged = new LinkedHashMap<>();
      perKey.forEach((k, v) -> merged.put(k, new ArrayList<>(v)));
      other.perKey.forEach((k, v) -> merged.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      return new Keyed(all, merged);
    }
  }

  /** Remembers what a {@link ShardListener} was told. */
  static final class RecordingListener implements ShardListener {
    private final Set<Shard> assigned = ConcurrentHashMap.newKeySet();
    private final Set<Shard> revoked = ConcurrentHashMap.newKeySet();
    final Map<Shard, Position> checkpointed = new ConcurrentHashMap<>();
    final AtomicBoolean lost = new AtomicBoolean();

    /** Checkpoints reported written, over every revocation (a shard may count more than once). */
    final AtomicInteger checkpointsReported = new AtomicInteger();

    @Override
    public void onAssigned(Assigned event) {
      assigned.addAll(event.shards());
    }

    @Override
    public void onRevoked(Revoked event) {
      revoked.addAll(event.shards());
      checkpointed.putAll(event.checkpointed());
      checkpointsReported.addAndGet(event.checkpointed().size());
      if (event.lost()) {
        lost.set(true);
      }
    }

    Set<Shard> assigned() {
      return new HashSet<>(assigned);
    }

    Set<Shard> revoked() {
      return new HashSet<>(revoked);
    }
  }

  /** A JSON value for the serde tests. */
  public static final class Payload {
    /** A number. */
    public int n;

    /** Some text. */
    public @Nullable String text;

    /** For Jackson. */
    public Payload() {}

    Payload(int n, String text) {
      this.n = n;
      this.text = text;
    }
  }
}
