package dev.sluice.internal;

import dev.sluice.Destination;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.SluiceException;
import dev.sluice.Transaction;
import dev.sluice.TransactionalProducer;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.WriteId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The portable transactional producer: serde, validation and error mapping around a driver. */
final class DefaultTransactionalProducer implements TransactionalProducer {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultTransactionalProducer.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final SluiceRuntime runtime;
  private final String transactionalId;
  private final TransactionDriver driver;

  /**
   * One transaction at a time. A semaphore, not a lock: {@link #begin()} may be called on one
   * thread and the transaction committed on another.
   */
  private final Semaphore open = new Semaphore(1);

  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong sends = new AtomicLong();
  private volatile @Nullable Tx current;

  DefaultTransactionalProducer(SluiceRuntime runtime, String transactionalId, TransactionDriver d) {
    this.runtime = runtime;
    this.transactionalId = transactionalId;
    this.driver = d;
  }

  @Override
  public String transactionalId() {
    return transactionalId;
  }

  @Override
  public void transaction(Work work) {
    Validation.notNull(work, "work");
    Transaction tx = begin();
    try {
      work.run(tx);
    } catch (RuntimeException | Error e) {
      tx.abort();
      throw e;
    } catch (Exception e) {
      tx.abort();
      throw new SluiceException(
          ErrorCode.HANDLER_FAILED, "The transaction's work failed; it was aborted: " + e, e);
    }
    tx.commit();
  }

  @Override
  public Transaction begin() {
    checkOpen();
    try {
      open.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while waiting to begin", e);
    }
    Tx tx = new Tx();
    try {
      checkOpen();
      driver.begin();
    } catch (RuntimeException e) {
      open.release();
      throw runtime.translate(e);
    }
    current = tx;
    return tx;
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    Validation.notNull(type, "type");
    checkOpen();
    return driver.unwrap(type);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      Tx tx = current;
      if (tx != null) {
        tx.abort();
      }
      driver.close(CLOSE_TIMEOUT);
    } catch (RuntimeException e) {
      LOG.warn("Closing transactional producer '{}' failed", transactionalId, e);
    } finally {
      runtime.forget(this);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new SluiceException(
          ErrorCode.CLOSED, "The transactional producer '" + transactionalId + "' is closed");
    }
  }

  @Override
  public String toString() {
    return "TransactionalProducer{" + transactionalId + "}";
  }

  private final class Tx implements Transaction {
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile @Nullable SluiceException failure;

    @Override
    public <K, V> CompletableFuture<SendResult> send(Destination<K, V> to, Record<K, V> record) {
      OutgoingRecords.SendFuture future = new OutgoingRecords.SendFuture(runtime);
      if (ended.get()) {
        future.completeExceptionally(
            new SluiceException(
                ErrorCode.FAILED_PRECONDITION, "The transaction is committed or aborted already"));
        return future;
      }
      Record<byte[], byte[]> raw;
      try {
        raw = OutgoingRecords.bytes(to, record, runtime.capabilities());
      } catch (SluiceException e) {
        future.completeExceptionally(e);
        return future;
      }
      future.whenComplete(
          (ok, error) -> {
            if (error != null && failure == null) {
              failure = runtime.translate(error);
            }
          });
      WriteId id = new WriteId(transactionalId, Position.of(sends.getAndIncrement()), 0);
      SendCallback callback = future;
      Tracing tracing = runtime.tracing();
      if (tracing != null) {
        Tracing.Send traced = tracing.send(to.stream(), raw, future);
        raw = traced.record();
        callback = traced;
      }
      try {
        driver.send(to.stream(), raw, id, callback);
      } catch (RuntimeException e) {
        callback.failed(e);
      }
      return future;
    }

    @Override
    public void commit() {
      if (!ended.compareAndSet(false, true)) {
        throw new SluiceException(
            ErrorCode.FAILED_PRECONDITION, "The transaction is committed or aborted already");
      }
      try {
        SluiceException failed = failure;
        if (failed != null) {
          abortQuietly();
          throw new SluiceException(
              failed.code(),
              "A send of the transaction failed, so it was aborted: " + failed.getMessage(),
              failed);
        }
        try {
          driver.commit();
        } catch (RuntimeException e) {
          SluiceException error = runtime.translate(e);
          abortQuietly();
          throw error;
        }
      } finally {
        end();
      }
    }

    @Override
    public void abort() {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      try {
        driver.abort();
      } catch (RuntimeException e) {
        throw runtime.translate(e);
      } finally {
        end();
      }
    }

    private void abortQuietly() {
      try {
        driver.abort();
      } catch (RuntimeException e) {
        LOG.debug("Aborting a failed transaction of '{}' failed", transactionalId, e);
      }
    }

    private void end() {
      current = null;
      open.release();
    }
  }
}
