package dev.sluice;

/**
 * Processes one record. Called sequentially for the records of one shard, in their order, and in
 * parallel for different shards. Returning normally means the record is processed (with automatic
 * checkpointing it is then checkpointed); throwing hands it to the consumer's {@link
 * FailurePolicy}.
 */
@FunctionalInterface
public interface RecordHandler<K, V> {
  /**
   * Handles one record; returning marks it processed.
   *
   * @param record the record delivered
   * @throws Exception any failure, handled by the consumer's failure policy
   */
  void handle(Record<K, V> record) throws Exception;
}
