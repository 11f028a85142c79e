package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.TransactionSpec;
import dev.sluice.spi.Unwrap;
import dev.sluice.spi.WriteId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jspecify.annotations.Nullable;

/**
 * Kafka transactions: one {@link KafkaProducer} with the spec's {@code transactional.id}, writing
 * to any topic. {@code initTransactions} (at construction) fences an older producer with the id and
 * aborts what it left open. Consumer checkpoints join the transaction with {@code
 * sendOffsetsToTransaction} and the consumer's group metadata (KIP-447), so the group coordinator
 * refuses them, and the commit with them, from a member whose generation has passed: a zombie
 * cannot commit over the partition's new owner.
 */
final class KafkaTransactionDriver implements TransactionDriver {
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaBackend backend;
  private final @Nullable AutoCloseable metrics;

  /** Topics known to exist: a send to a missing one would block for {@code max.block.ms}. */
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  KafkaTransactionDriver(TransactionSpec spec, KafkaSettings settings, KafkaBackend backend) {
    this.backend = backend;
    Map<String, Object> p = settings.producerProperties(spec.clientId());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, spec.transactionalId());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    if (spec.timeout() != null) {
      p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) spec.timeout().toMillis());
    }
    this.producer = new KafkaProducer<>(p);
    try {
      producer.initTransactions();
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
    this.metrics = backend.bindMetrics(producer);
  }

  @Override
  public void begin() {
    producer.beginTransaction();
  }

  @Override
  public void send(String stream, Record<byte[], byte[]> record, WriteId id, SendCallback cb) {
    try {
      requireTopic(stream);
      Shard target = record.shard();
      Integer partition = target == null ? null : Integer.valueOf(target.id());
      long timestamp = record.timestampMillis();
      producer.send(
          new ProducerRecord<>(
              stream,
              partition,
              timestamp == Record.NO_TIMESTAMP ? null : timestamp,
              record.key(),
              record.value(),
              headers(record.headers())),
          completion(cb));
    } catch (RuntimeException e) {
      cb.failed(fencedIfStale(e));
    }
  }

  /**
   * Kafka's completion of one send, reported to {@code cb}. Once the coordinator refused the
   * transaction's checkpoints (or aborted it), Kafka fails its outstanding sends with that error:
   * the processor learns it was fenced from whichever of them reaches it first.
   */
  static Callback completion(SendCallback cb) {
    return (metadata, error) -> {
      if (error != null || metadata == null) {
        cb.failed(
            error instanceof RuntimeException
                ? fencedIfStale((RuntimeException) error)
                : error != null ? error : new IllegalStateException("no result"));
      } else {
        KafkaProducerDriver.reportSent(cb, metadata);
      }
    };
  }

  @Override
  public void sendCheckpoints(ConsumerDriver consumer, Map<Shard, Position> checkpoints) {
    KafkaConsumerDriver driver = (KafkaConsumerDriver) consumer;
    ConsumerGroupMetadata group = member(driver.groupMetadata());
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    // Kafka stores the next offset to read; a checkpoint is the last one processed.
    checkpoints.forEach(
        (shard, position) ->
            offsets.put(
                new TopicPartition(driver.topic(), Integer.parseInt(shard.id())),
                new OffsetAndMetadata(position.offset() + 1)));
    try {
      producer.sendOffsetsToTransaction(offsets, group);
    } catch (RuntimeException e) {
      throw fencedIfStale(e);
    }
  }

  /**
   * The metadata a transaction may commit checkpoints with: that of a current member. Metadata
   * without a generation (-1: the consumer has not joined, or Kafka reset it when the member left
   * or lost its partitions) must not be sent: the group coordinator accepts a transactional offset
   * commit without generation and member id from anyone (older clients sent none), so a zombie
   * would overwrite the checkpoints of the partitions' new owner.
   *
   * @throws SluiceException {@code FAILED_PRECONDITION} before the consumer joined, {@code FENCED}
   *     for metadata without a generation
   */
  static ConsumerGroupMetadata member(@Nullable ConsumerGroupMetadata group) {
    if (group == null) {
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION, "The consumer has not joined its group yet");
    }
    if (group.generationId() < 0 || group.memberId().isEmpty()) {
      throw new SluiceException(
          ErrorCode.FENCED,
          "The consumer is not a member of group '"
              + group.groupId()
              + "' now (it left, or lost its partitions to another member): a transaction may not"
              + " commit its checkpoints");
    }
    return group;
  }

  @Override
  public void commit() {
    try {
      producer.commitTransaction();
    } catch (RuntimeException e) {
      throw fencedIfStale(e);
    }
  }

  /**
   * The errors that mean this transaction's work is lost because its member is a zombie, as {@code
   * FENCED}: the group coordinator refused the checkpoints of a member whose generation has passed
   * (it was dropped from the group, or the group moved on), as a producer whose id was taken over
   * is; or the transaction coordinator no longer has the transaction open because it aborted it (it
   * outlived {@code transaction.timeout.ms}, as a member frozen past its session does) and answers
   * a commit with "COMPLETE_ABORT, but received COMMIT". Kafka then also fails the transaction's
   * outstanding sends, and its later calls, with the error that refused it (wrapped in a plain
   * {@link KafkaException}). Other errors pass unchanged.
   */
  static RuntimeException fencedIfStale(RuntimeException error) {
    Throwable cause = KafkaErrors.unwrap(error);
    if (cause instanceof CommitFailedException || cause instanceof FencedInstanceIdException) {
      return new SluiceException(
          ErrorCode.FENCED,
          "The group refused this transaction's checkpoints: the consumer's group generation has"
              + " passed (its partitions may have moved to another member): "
              + cause.getMessage(),
          error);
    }
    if (cause instanceof InvalidTxnStateException) {
      return new SluiceException(
          ErrorCode.FENCED,
          "Kafka aborted this transaction before its commit (it outlived transaction.timeout.ms,"
              + " or this producer was superseded): "
              + cause.getMessage(),
          error);
    }
    return error;
  }

  @Override
  public void abort() {
    producer.abortTransaction();
  }

  @Override
  public Shard shardFor(String stream, byte[] key) {
    requireTopic(stream);
    return Shard.of(
        KafkaProducerDriver.partitionForKey(key, producer.partitionsFor(stream).size()));
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(
        type,
        producer,
        "A Kafka transactional producer",
        org.apache.kafka.clients.producer.Producer.class.getName());
  }

  @Override
  public void close(Duration timeout) {
    try {
      // An open transaction is aborted by the close (or, if it cannot be, by the coordinator
      // after transaction.timeout.ms, or by the next producer with this id).
      producer.close(timeout);
    } finally {
      KafkaBackend.closeQuietly(metrics);
    }
  }

  private void requireTopic(String topic) {
    if (seen.contains(topic)) {
      return;
    }
    try {
      backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT);
    } catch (UnknownTopicOrPartitionException e) {
      throw new SluiceException(
          ErrorCode.NOT_FOUND,
          "Stream '" + topic + "' does not exist (no Kafka topic of that name); create it first",
          e);
    }
    seen.add(topic);
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
}
