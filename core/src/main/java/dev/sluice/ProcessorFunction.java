package dev.sluice;

/**
 * Turns one input record into zero or more outputs. Called sequentially for the records of one
 * shard, in order, and in parallel across shards. Throwing hands the record to the processor's
 * {@link FailurePolicy}; nothing it emitted in that call is sent.
 *
 * <p>Under {@link ProcessingGuarantee#EXACTLY_ONCE} it must be deterministic: an input processed
 * again after a failure must give the same outputs in the same order.
 */
@FunctionalInterface
public interface ProcessorFunction<K, V> {
  /**
   * Handles one input record, sending what it produces through {@code out}.
   *
   * @param input the record read
   * @param out where the outputs go, committed with the input's checkpoint
   * @throws Exception any failure, handled by the processor's failure policy
   */
  void process(Record<K, V> input, Outputs out) throws Exception;
}
