package dev.sluice;

/**
 * What a processor ({@link Sluice#processor}) promises about its outputs when it fails, restarts or
 * gives shards to another member of its group.
 */
public enum ProcessingGuarantee {
  /**
   * Nothing is lost: an input is checkpointed only after every output it produced was stored. After
   * a crash or a rebalance, inputs processed since the last checkpoint are processed again, so an
   * output may be written twice. Every backend.
   */
  AT_LEAST_ONCE,
  /**
   * Nothing is lost and nothing is duplicated, as consumers see it. With {@link
   * Capabilities.Capability#TRANSACTIONS} (Kafka, memory) the outputs and the input checkpoints
   * commit in one transaction, every {@link ProcessorBuilder#commitInterval commit interval}:
   * consumers that read committed records (Sluice's default) see each output once; a failure aborts
   * the transaction and its inputs are processed again. With {@link
   * Capabilities.Capability#DEDUPLICATION} instead, outputs carry ids derived from their input, so
   * a re-processed input re-sends the same ids, which a deduplicating consumer drops
   * (effectively-once). Either way the processing function must be deterministic: the same input
   * must give the same outputs. A backend with neither refuses it when the processor is built.
   */
  EXACTLY_ONCE
}
