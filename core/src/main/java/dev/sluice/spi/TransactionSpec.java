package dev.sluice.spi;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** What a {@link TransactionDriver} is made for. */
public final class TransactionSpec {
  private final String transactionalId;
  private final String clientId;
  private final @Nullable Duration timeout;

  /**
   * What a transaction driver is made for.
   *
   * @param transactionalId the identity that survives restarts
   * @param clientId a name unique in this JVM, for the native client's logs and metrics
   * @param timeout how long a transaction may stay open, or null for the backend's default
   */
  public TransactionSpec(String transactionalId, String clientId, @Nullable Duration timeout) {
    this.transactionalId = Objects.requireNonNull(transactionalId, "transactionalId");
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    this.timeout = timeout;
  }

  /**
   * The identity that survives restarts: a driver opened with it must fence any older one with the
   * same id and abort the transaction that one left open.
   *
   * @return the identity that survives restarts: a driver opened with it must fence any older one
   *     with the same id and abort the transaction that one left open
   */
  public String transactionalId() {
    return transactionalId;
  }

  /**
   * A name unique in this JVM, for the native client's logs and metrics.
   *
   * @return a name unique in this JVM, for the native client's logs and metrics
   */
  public String clientId() {
    return clientId;
  }

  /**
   * How long the backend lets a transaction stay open before it aborts it by itself (so that one
   * left open by a crashed writer stops holding back readers), or null for the backend's default.
   *
   * @return how long the backend lets a transaction stay open before it aborts it by itself (so
   *     that one left open by a crashed writer stops holding back readers), or null for the
   *     backend's default
   */
  public @Nullable Duration timeout() {
    return timeout;
  }
}
