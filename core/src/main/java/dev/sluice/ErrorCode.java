package dev.sluice;

/**
 * The portable reason a Sluice operation failed. The same condition gets the same code on every
 * backend; the backend's own exception stays reachable as {@link SluiceException#getCause()}.
 */
public enum ErrorCode {
  /** The stream, shard or consumer group does not exist. */
  NOT_FOUND(false),
  /** The stream (or other resource) being created already exists. */
  ALREADY_EXISTS(false),
  /** A record, or a batch of records, is larger than the backend accepts. */
  RECORD_TOO_LARGE(false),
  /** The backend refused the request because a rate limit was exceeded; try again later. */
  THROTTLED(true),
  /** An argument is malformed or out of range: a bad stream name, a null value, a bad header. */
  INVALID_ARGUMENT(false),
  /** The configuration is incomplete, misspelled or contradictory. */
  INVALID_CONFIG(false),
  /**
   * The operation is not allowed in the current state (e.g. {@code poll} on a handler consumer).
   */
  FAILED_PRECONDITION(false),
  /** The credentials were missing or rejected. */
  UNAUTHENTICATED(false),
  /** The credentials were accepted but do not allow this operation. */
  PERMISSION_DENIED(false),
  /** The operation did not finish within its deadline; it may or may not have taken effect. */
  TIMEOUT(true),
  /** The backend could not be reached or is temporarily unable to serve. */
  UNAVAILABLE(true),
  /** The backend cannot do this at all; {@link Capabilities} says so up front. */
  UNSUPPORTED(false),
  /** The client was closed before or while the operation ran. */
  CLOSED(false),
  /** A key or value could not be serialized or deserialized by its {@link Serde}. */
  SERIALIZATION(false),
  /**
   * Another instance took over this one's work: a transactional producer with the same identity
   * started, or a processor's shards moved to another member of its group while it still held an
   * open transaction. The transaction is aborted; the instance that got this must not go on with
   * the same identity (a processor rejoins its group and processes its uncommitted input again).
   */
  FENCED(false),
  /** A record handler failed and the consumer's failure policy gave up on it. */
  HANDLER_FAILED(false),
  /** Anything else: a bug or an error the backend did not explain. */
  INTERNAL(false);

  private final boolean retryableByDefault;

  ErrorCode(boolean retryableByDefault) {
    this.retryableByDefault = retryableByDefault;
  }

  /**
   * Whether an error with this code is usually worth retrying unchanged.
   *
   * @return true if an error with this code is usually worth retrying unchanged
   */
  public boolean isRetryableByDefault() {
    return retryableByDefault;
  }
}
