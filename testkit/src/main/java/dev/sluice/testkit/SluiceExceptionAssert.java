package dev.sluice.testkit;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import org.assertj.core.api.AbstractThrowableAssert;

/**
 * Assertions on a {@link SluiceException}; made by {@link SluiceAssertions#assertThat(
 * SluiceException)}. All of AssertJ's throwable assertions ({@code hasMessageContaining}, ...) are
 * there too.
 */
public final class SluiceExceptionAssert
    extends AbstractThrowableAssert<SluiceExceptionAssert, SluiceException> {
  SluiceExceptionAssert(SluiceException actual) {
    super(actual, SluiceExceptionAssert.class);
  }

  /**
   * The error has this portable code.
   *
   * @param code the code expected
   * @return this assertion
   */
  public SluiceExceptionAssert hasCode(ErrorCode code) {
    isNotNull();
    if (actual.code() != code) {
      failWithMessage("Expected error code %s but was %s: %s", code, actual.code(), actual);
    }
    return this;
  }

  /**
   * The error says retrying may help.
   *
   * @return this assertion
   */
  public SluiceExceptionAssert isRetryable() {
    isNotNull();
    if (!actual.isRetryable()) {
      failWithMessage("Expected a retryable error but was %s", actual);
    }
    return this;
  }

  /**
   * The error says retrying will not help.
   *
   * @return this assertion
   */
  public SluiceExceptionAssert isNotRetryable() {
    isNotNull();
    if (actual.isRetryable()) {
      failWithMessage("Expected an error that is not retryable but was %s", actual);
    }
    return this;
  }
}
