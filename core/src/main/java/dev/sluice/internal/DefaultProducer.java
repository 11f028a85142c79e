package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.WriteId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The portable producer: serde, validation and error mapping around a {@link ProducerDriver}. */
final class DefaultProducer<K, V> implements Producer<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultProducer.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final SluiceRuntime runtime;
  private final String stream;
  private final ProducerDriver driver;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private final boolean rawBytes;
  private final SluiceMetrics.@Nullable ProducerMeters meters;
  private final @Nullable Tracing tracing;
  private final AtomicBoolean closed = new AtomicBoolean();
  private @Nullable CallbackSend lastCallback;

  DefaultProducer(
      SluiceRuntime runtime,
      String stream,
      ProducerDriver driver,
      Serde<K> keySerde,
      Serde<V> valueSerde) {
    this.runtime = runtime;
    this.stream = stream;
    this.driver = driver;
    this.keySerde = Objects.requireNonNull(keySerde, "keySerde");
    this.valueSerde = Objects.requireNonNull(valueSerde, "valueSerde");
    // Bytes in, bytes out: the record can go to the driver as it is, with no copy.
    this.rawBytes = keySerde == Serde.bytes() && valueSerde == Serde.bytes();
    SluiceMetrics metrics = runtime.metrics();
    this.meters = metrics == null ? null : metrics.producer(stream);
    this.tracing = runtime.tracing();
  }

  @Override
  public String stream() {
    return stream;
  }

  @Override
  public CompletableFuture<SendResult> send(@Nullable K key, @Nullable V value) {
    return send(Record.of(key, value));
  }

  @Override
  public CompletableFuture<SendResult> send(Record<K, V> record) {
    SendFuture future =
        meters == null ? new SendFuture(runtime) : new MeteredSendFuture(runtime, meters);
    dispatch(record, null, future);
    return future;
  }

  /**
   * Sends a record named by {@code id}, for a deduplicating consumer (a processor's outputs); the
   * outcome goes to {@code onComplete} as with {@link #send(Record, BiConsumer)}.
   */
  void send(
      Record<K, V> record,
      WriteId id,
      BiConsumer<? super SendResult, ? super Throwable> onComplete) {
    dispatch(record, id, new CallbackSend(runtime, meters, onComplete));
  }

  @Override
  public void send(
      Record<K, V> record, BiConsumer<? super SendResult, ? super Throwable> onComplete) {
    if (onComplete == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "onComplete must not be null");
    }
    CallbackSend callback;
    if (meters == null) {
      // Without metrics a CallbackSend holds nothing per send: keep one for the application's
      // callback (usually the same one every time). Plain field; a race only makes another one.
      callback = lastCallback;
      if (callback == null || callback.onComplete != onComplete) {
        callback = new CallbackSend(runtime, null, onComplete);
        lastCallback = callback;
      }
    } else {
      callback = new CallbackSend(runtime, meters, onComplete);
    }
    dispatch(record, null, callback);
  }

  /**
   * Serializes, validates and hands the record to the driver; every outcome goes to {@code out}.
   */
  private void dispatch(@Nullable Record<K, V> record, @Nullable WriteId id, Outcome out) {
    if (record == null) {
      out.reject(new SluiceException(ErrorCode.INVALID_ARGUMENT, "'record' must not be null"));
      return;
    }
    if (closed.get()) {
      out.reject(
          new SluiceException(
              ErrorCode.CLOSED, "The producer for stream '" + stream + "' is closed"));
      return;
    }
    Record<byte[], byte[]> raw;
    try {
      raw = serialize(record);
      Validation.record(raw, runtime.capabilities());
    } catch (SluiceException e) {
      out.reject(e);
      return;
    }
    if (meters != null) {
      out.started(
          System.nanoTime(),
          (raw.value() == null ? 0 : raw.value().length)
              + (raw.key() == null ? 0 : raw.key().length));
    }
    SendCallback callback = out;
    if (tracing != null) {
      Tracing.Send traced = tracing.send(stream, raw, out);
      raw = traced.record();
      callback = traced;
    }
    try {
      if (id == null) {
        driver.send(raw, callback);
      } else {
        driver.send(raw, id, callback);
      }
    } catch (RuntimeException e) {
      callback.failed(e);
    }
  }

  @Override
  public List<CompletableFuture<SendResult>> sendAll(List<Record<K, V>> records) {
    Validation.notNull(records, "records");
    List<CompletableFuture<SendResult>> futures = new ArrayList<>(records.size());
    for (Record<K, V> r : records) {
      futures.add(send(r));
    }
    return futures;
  }

  @SuppressWarnings("unchecked")
  private Record<byte[], byte[]> serialize(Record<K, V> record) {
    V value = record.value();
    if (rawBytes) {
      return (Record<byte[], byte[]>) (Record<?, ?>) record;
    }
    K key = record.key();
    byte[] keyBytes = key == null ? null : serialize(keySerde, key, "key");
    // A null value is a tombstone: the serde never sees it (Validation decides if it may be sent).
    byte[] valueBytes = value == null ? null : serialize(valueSerde, value, "value");
    return record.withKeyAndValue(keyBytes, valueBytes);
  }

  private static <T> byte[] serialize(Serde<T> serde, T value, String what) {
    byte[] bytes;
    try {
      bytes = serde.serialize(value);
    } catch (SluiceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, "Cannot serialize the " + what + " with " + serde + ": " + e, e);
    }
    if (bytes == null) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, serde + " returned null for a non-null " + what);
    }
    return bytes;
  }

  @Override
  public Shard shardFor(K key) {
    checkOpen();
    if (key == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "shardFor needs a key: records without a key are spread over the shards");
    }
    byte[] bytes = serialize(keySerde, key, "key");
    try {
      return driver.shardFor(bytes);
    } catch (RuntimeException e) {
      throw runtime.translate(e);
    }
  }

  /**
   * Fetches now what the first send would otherwise wait for (the stream's metadata; on Kafka also
   * the check that the topic exists, which holds every other sending thread back while it asks), so
   * that a processor's first outputs do not. Failures are left for the sends to report.
   */
  void prepare() {
    if (closed.get()) {
      return;
    }
    try {
      driver.shardFor(new byte[0]);
    } catch (RuntimeException e) {
      LOG.debug("{}: fetching the metadata of {} ahead of the first send failed", this, stream, e);
    }
  }

  @Override
  public void flush() {
    checkOpen();
    try {
      driver.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while flushing", e);
    } catch (RuntimeException e) {
      throw runtime.translate(e);
    }
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    Validation.notNull(type, "type");
    checkOpen();
    return driver.unwrap(type);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        driver.close(CLOSE_TIMEOUT);
      } finally {
        runtime.forget(this);
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new SluiceException(
          ErrorCode.CLOSED, "The producer for stream '" + stream + "' is closed");
    }
  }

  @Override
  public String toString() {
    return "Producer{" + stream + "}";
  }

  /** A send's outcome as the driver reports it, plus what core itself refuses or measures. */
  private interface Outcome extends SendCallback {
    /** Core refused the record before the driver saw it. */
    void reject(SluiceException error);

    /** The record goes to the driver now; only called when metrics are on. */
    void started(long nanos, long bytes);
  }

  /**
   * The future handed to the application is also the driver's callback: one object per send, and
   * the smallest a {@code CompletableFuture} subclass can be (one field of its own: 24 bytes).
   * Every pending send holds one until it is acknowledged (up to {@code buffer.memory} of records),
   * so what it carries is paid per record in flight; what metrics need is in {@link
   * MeteredSendFuture}.
   */
  private static class SendFuture extends CompletableFuture<SendResult> implements Outcome {
    private final SluiceRuntime runtime;

    SendFuture(SluiceRuntime runtime) {
      this.runtime = runtime;
    }

    @Override
    public void started(long nanos, long bytes) {}

    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {
      complete(SendResult.of(shard, position, timestampMillis));
    }

    @Override
    public void failed(Throwable error) {
      reject(runtime.translate(error));
    }

    @Override
    public void reject(SluiceException error) {
      completeExceptionally(error);
    }
  }

  /** A {@link SendFuture} that also counts the send in the producer's meters (once). */
  private static final class MeteredSendFuture extends SendFuture {
    private final SluiceMetrics.ProducerMeters meters;
    private long startNanos;
    private long size;

    MeteredSendFuture(SluiceRuntime runtime, SluiceMetrics.ProducerMeters meters) {
      super(runtime);
      this.meters = meters;
    }

    @Override
    public void started(long nanos, long bytes) {
      startNanos = nanos;
      size = bytes;
    }

    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {
      if (complete(SendResult.of(shard, position, timestampMillis))) {
        meters.sent(startNanos, size);
      }
    }

    @Override
    public void reject(SluiceException error) {
      if (completeExceptionally(error)) {
        meters.failed(error.code());
      }
    }
  }

  /**
   * Calls the application's {@code onComplete}. Without metrics it has no per-send state, so every
   * send with the same {@code onComplete} shares one.
   */
  private static final class CallbackSend implements Outcome {
    private final SluiceRuntime runtime;
    private final SluiceMetrics.@Nullable ProducerMeters meters;
    final BiConsumer<? super SendResult, ? super Throwable> onComplete;
    private long startNanos;
    private long size;

    CallbackSend(
        SluiceRuntime runtime,
        SluiceMetrics.@Nullable ProducerMeters meters,
        BiConsumer<? super SendResult, ? super Throwable> onComplete) {
      this.runtime = runtime;
      this.meters = meters;
      this.onComplete = onComplete;
    }

    @Override
    public void started(long nanos, long bytes) {
      startNanos = nanos;
      size = bytes;
    }

    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {
      if (meters != null) {
        meters.sent(startNanos, size);
      }
      call(SendResult.of(shard, position, timestampMillis), null);
    }

    @Override
    public void failed(Throwable error) {
      reject(runtime.translate(error));
    }

    @Override
    public void reject(SluiceException error) {
      if (meters != null) {
        meters.failed(error.code());
      }
      call(null, error);
    }

    private void call(@Nullable SendResult result, @Nullable Throwable error) {
      try {
        onComplete.accept(result, error);
      } catch (RuntimeException e) {
        // Thrown into a client I/O thread it would stop other sends' reports; Kafka's own
        // producer logs and ignores a throwing callback the same way.
        LOG.error("A send's onComplete callback threw; ignored", e);
      }
    }
  }
}
