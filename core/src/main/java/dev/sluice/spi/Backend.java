package dev.sluice.spi;

import dev.sluice.Capabilities;
import dev.sluice.GroupAdmin;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;

/**
 * An opened backend. Thread-safe. Owns the shared native clients; producers and consumers it makes
 * are closed by core before the backend.
 */
public interface Backend extends AutoCloseable {
  /**
   * What this backend can do; must be honest, the conformance kit relies on it.
   *
   * @return what this backend can do; must be honest, the conformance kit relies on it
   */
  Capabilities capabilities();

  /**
   * The admin driver. Its methods must do what {@link StreamAdmin} says and block until done; core
   * validates arguments beforehand and maps errors with {@link #translate}.
   *
   * @return the admin driver
   */
  StreamAdmin admin();

  /**
   * The consumer-group admin driver. Its methods must do what {@link GroupAdmin} says and block
   * until done; core checks names and that the stream exists beforehand, and maps errors with
   * {@link #translate}. A reset or delete must refuse with {@code FAILED_PRECONDITION} while the
   * group has a live member, checked by the backend as close to the write as it can (Kafka's group
   * coordinator does it; elsewhere a conditional write).
   *
   * @return the driver
   */
  default GroupAdmin groups() {
    throw new SluiceException(
        dev.sluice.ErrorCode.UNSUPPORTED, "This backend cannot administer consumer groups");
  }

  /**
   * A producer for one stream. It must not check that the stream exists eagerly.
   *
   * @param spec how the stream is made
   * @return a producer for one stream
   */
  ProducerDriver producer(ProducerSpec spec);

  /**
   * A consumer for one stream, not yet started.
   *
   * @param spec how the stream is made
   * @return a consumer for one stream, not yet started
   */
  ConsumerDriver consumer(ConsumerSpec spec);

  /**
   * A transactional writer to any of the backend's streams. A backend that declares {@code
   * TRANSACTIONS} must implement it; core never calls it on one that does not.
   *
   * @param spec how the stream is made
   * @return a transactional writer to any of the backend's streams
   * @throws RuntimeException for an identity the backend cannot use (translated by core)
   */
  default TransactionDriver transactions(TransactionSpec spec) {
    throw new SluiceException(dev.sluice.ErrorCode.UNSUPPORTED, "This backend has no transactions");
  }

  /**
   * Maps a native error of this backend's client to a portable one, keeping it as the cause. Must
   * return a {@code SluiceException} unchanged.
   *
   * @param error a failure of the native client
   * @return the portable exception for it
   */
  SluiceException translate(Throwable error);

  /**
   * The backend's shared native client of this type (e.g. Kafka's {@code Admin}).
   *
   * @param <T> the type
   * @param type the native client's class
   * @return the backend's shared native client, as {@code type}
   * @throws SluiceException {@code UNSUPPORTED} if there is none of that type
   */
  <T> T unwrap(Class<T> type);

  @Override
  void close();
}
