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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
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
 *
 * <p><b>A topic deleted under the producer.</b> Kafka keeps such records queued until {@code
 * delivery.timeout.ms} (120 s) and then fails them with a timeout; a send whose topic metadata is
 * gone even blocks the caller for {@code max.block.ms}. So a watch ({@link #checkStalled}, every
 * second) looks for sends that get no answer for {@link #STALL_NANOS}; it then asks the cluster
 * whether the topic exists. If the cluster answers that it does not, every send still pending fails
 * with {@code NOT_FOUND}: the Kafka producer is closed at once, which discards what it had queued
 * (Kafka fails those records through their callbacks, mapped to {@code NOT_FOUND} here), so a
 * record reported failed is never written later, even if a topic of that name is created again.
 * Later sends fail with {@code NOT_FOUND} at once, asking the cluster again at most once per {@link
 * #RECHECK_NANOS}; once the topic exists again, a new Kafka producer takes over. No answer from the
 * cluster (a broker restart) is not an answer: sends keep waiting, as Kafka would.
 */
final class KafkaProducerDriver implements ProducerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaProducerDriver.class);

  /** How long sends may go unanswered before the watch asks whether the topic still exists. */
  static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** While the topic is known to be gone, how often a send asks the cluster again. */
  static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The index of the answered count in its array (see answeredLine). */
  private static final int ANSWERED = 16;

  private final String topic;
  private final String clientId;
  private final KafkaSettings settings;
  private final KafkaBackend backend;
  private final Object topicCheck = new Object();

  /** Replaced only after the topic was deleted and created again; guarded by topicCheck. */
  private volatile KafkaProducer<byte[], byte[]> producer;

  private volatile @Nullable AutoCloseable metrics;

  /**
   * Set once the topic is known to exist. Until then a send asks the cluster first, because the
   * Kafka producer would wait {@code max.block.ms} (60 s) for a topic that is not there.
   */
  private volatile boolean topicSeen;

  /** Set while the topic is known to be deleted: the error pending and new sends fail with. */
  private volatile @Nullable SluiceException deleted;

  private long deletedCheckedAt; // guarded by topicCheck
  private boolean closed; // guarded by topicCheck

  // Sends handed to Kafka and sends answered, for the watch. The sending threads count the first,
  // Kafka's I/O thread (nearly always) the second, on every send: each count must sit on a cache
  // line the other thread does not write, or every send moves that line between the two cores.
  // Two LongAdders made one after the other are 32 bytes each and usually share a line, so the
  // answers are counted in the middle of an array of 32 longs, 128 bytes from anything else.
  private final LongAdder started = new LongAdder();
  private final AtomicLongArray answeredLine = new AtomicLongArray(2 * ANSWERED);

  // The watch's own state (its thread only).
  private long lastAnswered;
  private long lastProgressAt = System.nanoTime();
  private final @Nullable ScheduledFuture<?> watch;

  KafkaProducerDriver(ProducerSpec spec, KafkaSettings settings, KafkaBackend backend) {
    this.topic = spec.stream();
    this.clientId = spec.clientId();
    this.settings = settings;
    this.backend = backend;
    this.producer = new KafkaProducer<>(settings.producerProperties(clientId));
    this.metrics = backend.bindMetrics(producer);
    this.watch = backend.watch(this::checkStalled);
  }

  @Override
  public void send(Record<byte[], byte[]> record, SendCallback callback) {
    Once once = new Once(callback, this);
    started.increment();
    try {
      Integer partition = null;
      Shard target = record.shard();
      if (target != null) {
        partition = partitionOf(target);
      }
      requireTopic();
      if (partition != null) {
        requirePartition(partition);
      } else if (record.key() != null && backend.knownPartitionCount(topic) > 0) {
        // Partitions were added through this backend: route by the new count now, not once the
        // Kafka producer's metadata is refreshed (KnownPartitionCounts says why).
        partition = partitionForKey(record.key(), partitionCount());
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
      current().send(out, once);
    } catch (RuntimeException e) {
      once.onCompletion(null, e);
    }
  }

  @Override
  public Shard shardFor(byte[] key) {
    requireTopic();
    return Shard.of(partitionForKey(key, partitionCount()));
  }

  /**
   * The partition count keyed records are routed by: the Kafka producer's metadata, or the count
   * this backend's admin set if that is higher (the metadata not refreshed yet).
   */
  private int partitionCount() {
    return Math.max(current().partitionsFor(topic).size(), backend.knownPartitionCount(topic));
  }

  /** The exact function Kafka's default partitioner applies to a keyed record. */
  static int partitionForKey(byte[] key, int partitions) {
    return BuiltInPartitioner.partitionForKey(key, partitions);
  }

  @Override
  public void flush() throws InterruptedException {
    try {
      // After the topic was deleted this flushes the closed producer: nothing is left in it.
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
    if (watch != null) {
      watch.cancel(false);
    }
    synchronized (topicCheck) {
      closed = true; // no new Kafka producer from now on
    }
    try {
      // Sends still pending when the timeout ends are failed by Kafka through their callbacks.
      producer.close(timeout);
    } finally {
      KafkaBackend.closeQuietly(metrics);
    }
  }

  /**
   * The Kafka producer to send with; throws {@code NOT_FOUND} while the topic is known to be
   * deleted, and replaces the producer once it exists again.
   */
  private KafkaProducer<byte[], byte[]> current() {
    if (deleted == null) {
      return producer;
    }
    synchronized (topicCheck) {
      SluiceException gone = deleted;
      if (gone == null) {
        return producer;
      }
      long now = System.nanoTime();
      if (closed || now - deletedCheckedAt < RECHECK_NANOS) {
        throw new SluiceException(gone.code(), gone.getMessage());
      }
      deletedCheckedAt = now;
      try {
        backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT);
      } catch (UnknownTopicOrPartitionException e) {
        throw new SluiceException(gone.code(), gone.getMessage(), e);
      } catch (RuntimeException e) {
        // No answer: the topic may or may not be back. Fail this send rather than block on it.
        throw backend.translate(e);
      }
      LOG.info(
          "{}: stream {} exists again; sending to it with a new Kafka producer", clientId, topic);
      KafkaProducer<byte[], byte[]> fresh =
          new KafkaProducer<>(settings.producerProperties(clientId));
      KafkaBackend.closeQuietly(metrics);
      metrics = backend.bindMetrics(fresh);
      producer = fresh;
      deleted = null;
      // Created again elsewhere, maybe with fewer partitions: its metadata is the count now.
      backend.forgetPartitionCount(topic);
      return fresh;
    }
  }

  /**
   * The watch, every second: if sends have been waiting for an answer for {@link #STALL_NANOS},
   * asks the cluster whether the topic exists, and if it says no, fails them (see the class
   * comment).
   */
  private void checkStalled() {
    long now = System.nanoTime();
    long done = answered();
    if (done != lastAnswered || started.sum() == done || deleted != null) {
      // Progress, nothing pending, or already known.
      lastAnswered = done;
      lastProgressAt = now;
      return;
    }
    if (now - lastProgressAt < STALL_NANOS) {
      return;
    }
    lastProgressAt = now; // at most one question per stall period
    try {
      backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT);
      return; // it exists: a slow or restarting broker, for Kafka's own retries to ride out
    } catch (UnknownTopicOrPartitionException e) {
      // deleted: below
    } catch (RuntimeException e) {
      LOG.debug("{}: sends to {} are waiting and the cluster does not answer", clientId, topic, e);
      return;
    }
    KafkaProducer<byte[], byte[]> stale;
    synchronized (topicCheck) {
      if (deleted != null || closed) {
        return;
      }
      deleted =
          new SluiceException(
              ErrorCode.NOT_FOUND,
              "Stream '"
                  + topic
                  + "' does not exist any more (its Kafka topic was deleted); the record was"
                  + " discarded");
      deletedCheckedAt = now;
      stale = producer;
    }
    LOG.warn(
        "{}: stream {} was deleted; failing its {} pending sends with NOT_FOUND",
        clientId,
        topic,
        started.sum() - answered());
    // Discards every queued record; Kafka fails each through its callback (see Once).
    stale.close(Duration.ZERO);
  }

  private long answered() {
    return answeredLine.get(ANSWERED);
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
    int known = current().partitionsFor(topic).size();
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
   * error state); Kafka then also fails the queued record through the callback later. A failure
   * after the topic was found deleted is reported as that ({@code NOT_FOUND}): Kafka's own error
   * then is the forced close that discarded the record.
   */
  // Extends AtomicBoolean rather than holding one: one object less per send.
  private static final class Once extends AtomicBoolean implements Callback {
    private static final long serialVersionUID = 1L;
    private final transient SendCallback callback;
    private final transient KafkaProducerDriver driver;

    Once(SendCallback callback, KafkaProducerDriver driver) {
      this.callback = callback;
      this.driver = driver;
    }

    @Override
    public void onCompletion(@Nullable RecordMetadata metadata, @Nullable Exception error) {
      if (!compareAndSet(false, true)) {
        return;
      }
      driver.answeredLine.getAndIncrement(ANSWERED);
      if (error != null || metadata == null) {
        SluiceException gone = driver.deleted;
        callback.failed(
            gone != null
                ? new SluiceException(gone.code(), gone.getMessage(), error)
                : error != null ? error : new IllegalStateException("Kafka reported no result"));
      } else {
        reportSent(callback, metadata);
      }
    }
  }

  /** Tells {@code callback} where Kafka stored a record, as {@code metadata} says. */
  static void reportSent(SendCallback callback, RecordMetadata metadata) {
    callback.sent(
        Shard.of(metadata.partition()),
        Position.of(metadata.offset()),
        // Kafka reports -1 when it does not know the stored timestamp.
        metadata.timestamp() < 0 ? Record.NO_TIMESTAMP : metadata.timestamp());
  }
}
