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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** The portable producer: serde, validation and error mapping around a {@link ProducerDriver}. */
final class DefaultProducer<K, V> implements Producer<K, V> {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final SluiceRuntime runtime;
  private final String stream;
  private final ProducerDriver driver;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private final boolean rawBytes;
  private final SluiceMetrics.@Nullable ProducerMeters meters;
  private final AtomicBoolean closed = new AtomicBoolean();

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
  }

  @Override
  public String stream() {
    return stream;
  }

  @Override
  public CompletableFuture<SendResult> send(@Nullable K key, V value) {
    return send(Record.of(key, value));
  }

  @Override
  public CompletableFuture<SendResult> send(Record<K, V> record) {
    SendFuture future = new SendFuture(runtime, meters);
    if (record == null) {
      future.fail(new SluiceException(ErrorCode.INVALID_ARGUMENT, "A record must not be null"));
      return future;
    }
    if (closed.get()) {
      future.fail(
          new SluiceException(
              ErrorCode.CLOSED, "The producer for stream '" + stream + "' is closed"));
      return future;
    }
    Record<byte[], byte[]> raw;
    try {
      raw = serialize(record);
      Validation.record(raw, runtime.capabilities());
    } catch (SluiceException e) {
      future.fail(e);
      return future;
    }
    if (meters != null) {
      future.startNanos = System.nanoTime();
      future.size = raw.value().length + (raw.key() == null ? 0 : raw.key().length);
    }
    try {
      driver.send(raw, future);
    } catch (RuntimeException e) {
      future.failed(e);
    }
    return future;
  }

  @Override
  public List<CompletableFuture<SendResult>> sendAll(List<Record<K, V>> records) {
    Objects.requireNonNull(records, "records");
    List<CompletableFuture<SendResult>> futures = new ArrayList<>(records.size());
    for (Record<K, V> r : records) {
      futures.add(send(r));
    }
    return futures;
  }

  @SuppressWarnings("unchecked")
  private Record<byte[], byte[]> serialize(Record<K, V> record) {
    V value = record.value();
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "A record value must not be null");
    }
    if (rawBytes) {
      return (Record<byte[], byte[]>) (Record<?, ?>) record;
    }
    K key = record.key();
    byte[] keyBytes = key == null ? null : serialize(keySerde, key, "key");
    byte[] valueBytes = serialize(valueSerde, value, "value");
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

  /** The future handed to the application is also the driver's callback: one object per send. */
  private static final class SendFuture extends CompletableFuture<SendResult>
      implements SendCallback {
    private final SluiceRuntime runtime;
    private final SluiceMetrics.@Nullable ProducerMeters meters;
    long startNanos;
    long size;

    SendFuture(SluiceRuntime runtime, SluiceMetrics.@Nullable ProducerMeters meters) {
      this.runtime = runtime;
      this.meters = meters;
    }

    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {
      if (meters != null) {
        meters.sent(startNanos, size);
      }
      complete(SendResult.of(shard, position, timestampMillis));
    }

    @Override
    public void failed(Throwable error) {
      fail(runtime.translate(error));
    }

    void fail(SluiceException error) {
      if (meters != null) {
        meters.failed(error.code());
      }
      completeExceptionally(error);
    }
  }
}
