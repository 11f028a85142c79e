package dev.sluice.memory;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.spi.Backend;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.TransactionSpec;
import dev.sluice.spi.Unwrap;

/** The memory backend, opened on one namespace. */
final class MemoryBackend implements Backend {
  private final MemoryBroker broker;
  private final Capabilities capabilities;
  private final MemoryAdmin admin;
  private final MemoryGroupAdmin groups;

  MemoryBackend(MemoryBroker broker, int maxRecordBytes, int maxKeyBytes, boolean writeIds) {
    this.broker = broker;
    Capabilities.Builder features = Capabilities.builder();
    if (writeIds) {
      features.supports(Capability.DEDUPLICATION);
    }
    this.capabilities =
        features
            .supports(
                Capability.NATIVE_HEADERS,
                Capability.TRANSACTIONS,
                Capability.ORDERED_RETRIES,
                Capability.SHRINK_SHARDS,
                Capability.SPLIT_AND_MERGE,
                Capability.SEEK_BY_TIMESTAMP,
                Capability.SEEK,
                Capability.SEEK_IN_GROUP,
                Capability.UNLIMITED_RETENTION,
                Capability.TOMBSTONES,
                Capability.COMPACTION)
            .maxRecordBytes(maxRecordBytes)
            .maxKeyBytes(maxKeyBytes)
            .maxHeaders(255)
            .maxHeaderNameBytes(255)
            .retention(null, null)
            .build();
    this.admin = new MemoryAdmin(broker);
    this.groups = new MemoryGroupAdmin(broker);
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public StreamAdmin admin() {
    return admin;
  }

  @Override
  public dev.sluice.GroupAdmin groups() {
    return groups;
  }

  @Override
  public ProducerDriver producer(ProducerSpec spec) {
    return new MemoryProducer(broker, spec.stream());
  }

  @Override
  public ConsumerDriver consumer(ConsumerSpec spec) {
    return new MemoryConsumer(broker, spec);
  }

  @Override
  public TransactionDriver transactions(TransactionSpec spec) {
    return new MemoryTransactions(broker, spec);
  }

  @Override
  public SluiceException translate(Throwable error) {
    if (error instanceof SluiceException) {
      return (SluiceException) error;
    }
    return new SluiceException(ErrorCode.INTERNAL, String.valueOf(error.getMessage()), error);
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    throw Unwrap.unsupported(type, "The memory backend", "none: it runs in this JVM");
  }

  @Override
  public void close() {
    // Streams outlive a Sluice instance: they belong to the namespace.
  }
}
