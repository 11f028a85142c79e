package dev.sluice;

/** When a consumer's progress is checkpointed. */
public enum CheckpointMode {
  /**
   * After each record's handler returns (or, for pull consumers, when {@code poll} is called
   * again), written to the backend every checkpoint interval and when shards are given up.
   */
  AUTO,
  /** Only what the application marks with {@link Consumer#checkpoint}. */
  MANUAL
}
