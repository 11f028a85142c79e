package dev.sluice;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one exception Sluice throws (or completes futures with). It is unchecked, carries a portable
 * {@link ErrorCode}, says whether retrying may help, and keeps the backend's native exception as
 * its cause so that nothing is hidden:
 *
 * <pre>{@code
 * try {
 *   producer.send("k", "v").join();
 * } catch (CompletionException e) {
 *   SluiceException error = SluiceException.from(e);
 *   if (error.code() == ErrorCode.RECORD_TOO_LARGE) { ... }
 * }
 * }</pre>
 */
public class SluiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final boolean retryable;

  /**
   * An exception that is not retryable.
   *
   * @param code what went wrong
   * @param message the details
   */
  public SluiceException(ErrorCode code, String message) {
    this(code, message, null, code.isRetryableByDefault());
  }

  /**
   * An exception that is not retryable, with its cause.
   *
   * @param code what went wrong
   * @param message the details
   * @param cause the underlying failure, or null
   */
  public SluiceException(ErrorCode code, String message, @Nullable Throwable cause) {
    this(code, message, cause, code.isRetryableByDefault());
  }

  /**
   * An exception, retryable or not.
   *
   * @param code what went wrong
   * @param message the details
   * @param cause the underlying failure, or null
   * @param retryable whether trying the same call again may succeed
   */
  public SluiceException(
      ErrorCode code, String message, @Nullable Throwable cause, boolean retryable) {
    super("[" + code + "] " + message, cause);
    // No Validation.notNull here: it would build a SluiceException in a SluiceException's
    // constructor. A null code is a bug in Sluice or a backend; fail at once.
    Objects.requireNonNull(code, "code");
    this.code = code;
    this.retryable = retryable;
  }

  /**
   * The portable reason.
   *
   * @return the portable reason
   */
  public ErrorCode code() {
    return code;
  }

  /**
   * Whether the same operation may succeed if tried again unchanged.
   *
   * @return true if the same operation may succeed if tried again unchanged
   */
  public boolean isRetryable() {
    return retryable;
  }

  /**
   * Finds the {@code SluiceException} in {@code error} or its causes (futures wrap it in {@code
   * CompletionException} or {@code ExecutionException}); wraps anything else as {@link
   * ErrorCode#INTERNAL}.
   *
   * @param error the failure to wrap
   * @return the {@code SluiceException} found, or one that wraps {@code error}
   */
  public static SluiceException from(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SluiceException) {
        return (SluiceException) t;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return new SluiceException(ErrorCode.INTERNAL, String.valueOf(error.getMessage()), error);
  }
}
