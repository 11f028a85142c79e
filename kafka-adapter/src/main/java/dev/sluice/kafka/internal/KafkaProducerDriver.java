package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.Unwrap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends through one {@link KafkaProducer} (idempotent, acks=all by default, so retries keep per-key
 * order). Results are reported from Kafka's callback, on the producer's I/O thread.
 */
final class KafkaProducerDriver implements ProducerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaProducerDriver.class);

  private final String topic;
  private final KafkaBackend backend;
  private final KafkaProducer<byte[], byte[]> producer;
  private final @Nullable AutoCloseable metrics;
  private final Object topicCheck = new Object();

  /**
   * Set once the topic is known to exist. Until then a send asks the cluster first, because the
   * Kafka producer would wait {@code max.block.ms} (60 s) for a topic that is not there.
   */
  private volatile boolean topicSeen;

  KafkaProducerDriver(ProducerSpec spec, KafkaSettings settings, KafkaBackend backend) {
    this.topic = spec.stream();
    this.backend = backend;
    this.producer = new KafkaProducer<>(settings.producerProperties(spec.clientId()));
    this.metrics = backend.bindMetrics(producer);
  }

  @Override
  public void send(Record<byte[], byte[]> record, SendCallback callback) {
    Once once = new Once(callback);
    try {
      Integer partition = null;
      Shard target = record.shard();
      if (target != null) {
        partition = partitionOf(target);
      }
      requireTopic();
      if (partition != null) {
        requirePartition(partition);
      }
      long timestamp = record.timestampMillis();
      ProducerRecord<byte[], byte[]> out =
          new ProducerRecord<>(
              topic,
              partition,
              timestamp == Record.NO_TIMESTAMP ? null : timestamp,
              record.key(),
              record.value(),
              headers(record.headers()));
      producer.send(out, once);
    } catch (RuntimeException e) {
      once.onCompletion(null, e);
    }
  }

  @Override
  public Shard shardFor(byte[] key) {
    requireTopic();
    return Shard.of(partitionForKey(key, producer.partitionsFor(topic).size()));
  }

  /** The exact function Kafka's default partitioner applies to a keyed record. */
  static int partitionForKey(byte[] key, int partitions) {
    return BuiltInPartitioner.partitionForKey(key, partitions);
  }

  @Override
  public void flush() throws InterruptedException {
    try {
      producer.flush();
    } catch (InterruptException e) {
      Thread.interrupted();
      InterruptedException interrupted = new InterruptedException("Interrupted while flushing");
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(
        type,
        producer,
        "A Kafka producer",
        org.apache.kafka.clients.producer.Producer.class.getName());
  }

  @Override
  public void close(Duration timeout) {
    try {
      // Sends still pending when the timeout ends are failed by Kafka through their callbacks.
      producer.close(timeout);
    } finally {
      KafkaBackend.closeQuietly(metrics);
    }
  }

  private static int partitionOf(Shard shard) {
    String id = shard.id();
    try {
      int partition = Integer.parseInt(id);
      if (partition >= 0) {
        return partition;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new SluiceException(
        ErrorCode.INVALID_ARGUMENT,
        "Shard '"
            + id
            + "' is not a Kafka partition: Kafka shard ids are partition numbers, 0, 1, ...");
  }

  private void requireTopic() {
    if (topicSeen) {
      return;
    }
    synchronized (topicCheck) {
      if (topicSeen) {
        return;
      }
      try {
        backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT);
      } catch (UnknownTopicOrPartitionException e) {
        throw new SluiceException(
            ErrorCode.NOT_FOUND,
            "Stream '" + topic + "' does not exist (no Kafka topic of that name); create it first",
            e);
      } catch (RuntimeException e) {
        SluiceException error = backend.translate(e);
        if (error.code() == ErrorCode.UNAVAILABLE) {
          // No broker answered at all: say so now rather than after max.block.ms per send. The
          // next send checks again.
          throw error;
        }
        // Cannot tell (a slow answer, no permission to describe): let the producer try by itself.
        LOG.debug("Could not check that topic {} exists; sending anyway", topic, e);
      }
      topicSeen = true;
    }
  }

  private void requirePartition(int partition) {
    int known = producer.partitionsFor(topic).size();
    if (partition < known) {
      return;
    }
    // The producer's metadata may predate added partitions; ask the cluster.
    int count = backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT).size();
    if (partition >= count) {
      throw new SluiceException(
          ErrorCode.NOT_FOUND,
          "Shard "
              + partition
              + " does not exist in stream '"
              + topic
              + "': it has "
              + count
              + " shards, 0 to "
              + (count - 1));
    }
  }

  private static @Nullable List<Header> headers(Headers headers) {
    if (headers.isEmpty()) {
      return null;
    }
    List<Header> out = new ArrayList<>(headers.size());
    for (Headers.Header h : headers) {
      out.add(new RecordHeader(h.name(), h.value()));
    }
    return out;
  }

  /**
   * Reports a send exactly once. KafkaProducer.send can throw after it has queued the record with
   * this callback (its transaction manager refuses the partition after the append, e.g. in a fatal
   * error state); Kafka then also fails the queued record through the callback later.
   */
  // Extends AtomicBoolean rather than holding one: one object less per send.
  private static final class Once extends AtomicBoolean implements Callback {
    private static final long serialVersionUID = 1L;
    private final transient SendCallback callback;

    Once(SendCallback callback) {
      this.callback = callback;
    }

    @Override
    public void onCompletion(@Nullable RecordMetadata metadata, @Nullable Exception error) {
      if (!compareAndSet(false, true)) {
        return;
      }
      if (error != null || metadata == null) {
        callback.failed(
            error != null ? error : new IllegalStateException("Kafka reported no result"));
      } else {
        callback.sent(
            Shard.of(metadata.partition()),
            Position.of(metadata.offset()),
            // Kafka reports -1 when it does not know the stored timestamp.
            metadata.timestamp() < 0 ? Record.NO_TIMESTAMP : metadata.timestamp());
      }
    }
  }
}
