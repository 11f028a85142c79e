package dev.sluice;

/**
 * Writes records to several streams atomically; made by {@link Sluice#transactionalProducer} on a
 * backend with {@link Capabilities.Capability#TRANSACTIONS} (Kafka, memory).
 *
 * <pre>{@code
 * try (TransactionalProducer producer = sluice.transactionalProducer("billing-1")) {
 *   producer.transaction(tx -> {
 *     tx.send(orders, "customer-7", "order #1");
 *     tx.send(audit, "customer-7", "placed order #1");
 *   });                              // committed here; aborted if the lambda threw
 * }
 * }</pre>
 *
 * <p>A type of its own rather than a mode of {@link Producer}: a transaction spans streams while a
 * {@code Producer} writes to one, and a transactional client may not write outside a transaction,
 * so keeping the two apart makes that mistake a compile error.
 *
 * <p><b>Transactional identity.</b> The id names the writer across restarts: a producer opened with
 * the id of one that is still running fences the older one (its next commit fails with {@link
 * ErrorCode#FENCED}) and aborts whatever transaction it left open, so a restarted service never
 * commits twice beside its own ghost. Use one id per instance of a service (e.g. {@code "billing-"
 * + instanceNumber}); two live producers with the same id keep fencing each other. Kafka: the id is
 * the producer's {@code transactional.id}, which Sluice manages (setting it in the configuration is
 * refused).
 *
 * <p>One transaction at a time; thread-safe otherwise.
 */
public interface TransactionalProducer extends AutoCloseable {
  /** What a transaction does; commit follows if it returns, abort if it throws. */
  @FunctionalInterface
  interface Work {
    /**
     * The work of one transaction; returning commits it, throwing aborts it.
     *
     * @param tx the transaction to send in
     * @throws Exception any failure, which aborts the transaction
     */
    void run(Transaction tx) throws Exception;
  }

  /**
   * The transactional identity this producer was opened with.
   *
   * @return the transactional identity this producer was opened with
   */
  String transactionalId();

  /**
   * Runs {@code work} in a new transaction and commits it when {@code work} returns; aborts it and
   * rethrows if {@code work} throws (a checked exception wrapped in a {@code HANDLER_FAILED} {@link
   * SluiceException}). Waits while another thread's transaction is open.
   *
   * @param work the work of the transaction
   * @throws SluiceException what the commit failed with (nothing of the transaction is visible
   *     then), or what {@code work} threw
   */
  void transaction(Work work);

  /**
   * Opens a transaction for the caller to {@link Transaction#commit()} or {@link
   * Transaction#abort()}: for transactions that span calls (a batch collected over time). Waits
   * while another one is open.
   *
   * @return the transaction
   */
  Transaction begin();

  /**
   * The backend's own client (Kafka's {@code Producer}), for what Sluice does not cover.
   *
   * @param <T> the type
   * @param type the client's class
   * @return the backend's own client (Kafka's {@code Producer}), for what Sluice does not cover
   */
  <T> T unwrap(Class<T> type);

  /** Aborts an open transaction and releases the producer; later calls fail with {@code CLOSED}. */
  @Override
  void close();
}
