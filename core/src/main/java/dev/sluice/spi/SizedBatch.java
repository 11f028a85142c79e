package dev.sluice.spi;

/**
 * A batch given to {@link DeliverySink#deliver} that knows its size. A driver whose batch builds
 * its records only as they are read (on the thread that handles them) implements it, so that
 * counting received bytes does not build every record on the delivering thread.
 */
public interface SizedBatch {
  /**
   * The key and value bytes of the batch's records, as {@code key().length + value().length}.
   *
   * @return the key and value bytes of the batch's records, as {@code key().length +
   *     value().length}
   */
  long keyAndValueBytes();
}
