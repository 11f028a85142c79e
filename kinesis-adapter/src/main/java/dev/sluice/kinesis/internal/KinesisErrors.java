package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;

/**
 * Maps AWS SDK, Kinesis, DynamoDB and KCL errors to portable ones. The native exception is always
 * kept as the cause; the message says which service answered what.
 */
final class KinesisErrors {
  private static final Set<String> THROTTLING =
      Set.of(
          "ProvisionedThroughputExceededException",
          "LimitExceededException",
          "KMSThrottlingException",
          "ThrottlingException",
          "Throttling",
          "ThrottledException",
          "RequestLimitExceeded",
          "TooManyRequestsException",
          "SlowDown");
  private static final Set<String> UNAUTHENTICATED =
      Set.of(
          "UnrecognizedClientException",
          "InvalidSignatureException",
          "IncompleteSignature",
          "IncompleteSignatureException",
          "MissingAuthenticationToken",
          "MissingAuthenticationTokenException",
          "InvalidClientTokenId",
          "ExpiredToken",
          "ExpiredTokenException",
          "SignatureDoesNotMatch",
          "AuthFailure");
  private static final Set<String> PERMISSION_DENIED =
      Set.of("AccessDeniedException", "AccessDenied", "KMSAccessDeniedException");
  private static final Set<String> FAILED_PRECONDITION =
      Set.of(
          "ResourceInUseException",
          "KMSDisabledException",
          "KMSInvalidStateException",
          "KMSNotFoundException",
          "KMSOptInRequired",
          "ConditionalCheckFailedException");

  private KinesisErrors() {}

  /** Strips the wrappers futures and the SDK put around the error that matters. */
  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException
            || t instanceof ExecutionException
            || t instanceof UncheckedIOException)
        && t.getCause() != null
        && t.getCause() != t) {
      t = t.getCause();
    }
    // The async client sometimes wraps a service error in an SdkClientException.
    if (t instanceof SdkClientException && t.getCause() instanceof AwsServiceException) {
      t = t.getCause();
    }
    return t;
  }

  static boolean isRetryable(Throwable error) {
    return translate(error).isRetryable();
  }

  /** The exception for a failed entry of a PutRecords response. */
  static AwsServiceException recordError(String errorCode, String errorMessage) {
    String message = errorCode + ": " + errorMessage;
    AwsErrorDetails details =
        AwsErrorDetails.builder()
            .errorCode(errorCode)
            .errorMessage(errorMessage)
            .serviceName("Kinesis")
            .build();
    if ("ProvisionedThroughputExceededException".equals(errorCode)) {
      return ProvisionedThroughputExceededException.builder()
          .message(message)
          .awsErrorDetails(details)
          .statusCode(400)
          .build();
    }
    return KinesisException.builder()
        .message(message)
        .awsErrorDetails(details)
        .statusCode("InternalFailure".equals(errorCode) ? 500 : 400)
        .build();
  }

  /** The portable error for a native one. */
  static SluiceException translate(Throwable error) {
    Throwable t = unwrap(error);
    if (t instanceof SluiceException) {
      return (SluiceException) t;
    }
    if (t instanceof AwsServiceException) {
      return service((AwsServiceException) t);
    }
    if (t instanceof ApiCallTimeoutException
        || t instanceof ApiCallAttemptTimeoutException
        || t instanceof TimeoutException) {
      return new SluiceException(ErrorCode.TIMEOUT, "AWS call timed out: " + t.getMessage(), t);
    }
    if (t instanceof SdkClientException) {
      return client((SdkClientException) t);
    }
    String kcl = t.getClass().getName();
    if (kcl.startsWith("software.amazon.kinesis.") && kcl.contains(".exceptions.")) {
      return kclError(t);
    }
    if (t instanceof InterruptedException) {
      return new SluiceException(ErrorCode.CLOSED, "Interrupted", t);
    }
    return new SluiceException(ErrorCode.INTERNAL, String.valueOf(t), t);
  }

  private static SluiceException service(AwsServiceException e) {
    AwsErrorDetails details = e.awsErrorDetails();
    // Exceptions built without details (by tests, or by the SDK for some paths) still name the
    // error in their type: Kinesis and DynamoDB model classes are named after the error code.
    String code =
        details == null || details.errorCode() == null
            ? e.getClass().getSimpleName()
            : details.errorCode();
    String service =
        details == null || details.serviceName() == null ? "AWS" : details.serviceName();
    String message = service + " " + (code.isEmpty() ? "error" : code) + ": " + e.getMessage();
    int status = e.statusCode();
    ErrorCode portable;
    boolean retryable;
    if (code.equals("ResourceNotFoundException")) {
      portable = ErrorCode.NOT_FOUND;
      retryable = false;
    } else if (THROTTLING.contains(code) || e.isThrottlingException()) {
      portable = ErrorCode.THROTTLED;
      retryable = true;
    } else if (code.equals("InvalidArgumentException") || code.equals("ValidationException")) {
      portable = ErrorCode.INVALID_ARGUMENT;
      retryable = false;
    } else if (code.equals("ExpiredIteratorException")
        || code.equals("ExpiredNextTokenException")) {
      // The iterator or token outlived its five minutes: get a fresh one and go on.
      portable = ErrorCode.UNAVAILABLE;
      retryable = true;
    } else if (PERMISSION_DENIED.contains(code)) {
      portable = ErrorCode.PERMISSION_DENIED;
      retryable = false;
    } else if (UNAUTHENTICATED.contains(code) || status == 401 || status == 403) {
      portable = ErrorCode.UNAUTHENTICATED;
      retryable = false;
    } else if (FAILED_PRECONDITION.contains(code)) {
      portable = ErrorCode.FAILED_PRECONDITION;
      retryable = code.equals("ResourceInUseException");
    } else if (status >= 500
        || code.equals("InternalFailure")
        || code.equals("ServiceUnavailable")) {
      portable = ErrorCode.UNAVAILABLE;
      retryable = true;
    } else {
      portable = ErrorCode.INTERNAL;
      retryable = e.retryable();
    }
    return new SluiceException(portable, message, e, retryable);
  }

  private static SluiceException client(SdkClientException e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConnectException
          || c instanceof UnknownHostException
          || c instanceof NoRouteToHostException
          || c instanceof ClosedChannelException) {
        return new SluiceException(ErrorCode.UNAVAILABLE, "Cannot reach AWS: " + e.getMessage(), e);
      }
      if (String.valueOf(c.getMessage()).contains("Acquire operation took longer")) {
        // No connection could be had from the pool in time: connections to the endpoint fail or
        // hang, which is the endpoint being unreachable rather than one slow call.
        return new SluiceException(
            ErrorCode.UNAVAILABLE, "Cannot get a connection to AWS: " + e.getMessage(), e, true);
      }
      if (c instanceof SocketTimeoutException
          || c instanceof TimeoutException
          || c.getClass().getSimpleName().contains("Timeout")) {
        return new SluiceException(ErrorCode.TIMEOUT, "AWS call timed out: " + e.getMessage(), e);
      }
    }
    String text = String.valueOf(e.getMessage());
    if (text.contains("credentials") || text.contains("Credentials")) {
      return new SluiceException(
          ErrorCode.UNAUTHENTICATED, "No usable AWS credentials: " + text, e);
    }
    // Other client-side failures (a connection reset, a closed channel) are worth a retry.
    return new SluiceException(ErrorCode.UNAVAILABLE, "AWS client error: " + text, e, true);
  }

  private static SluiceException kclError(Throwable t) {
    String name = t.getClass().getSimpleName();
    switch (name) {
      case "ShutdownException":
        return new SluiceException(
            ErrorCode.FAILED_PRECONDITION, "KCL: the shard's lease is gone: " + t.getMessage(), t);
      case "ThrottlingException":
        return new SluiceException(ErrorCode.THROTTLED, "KCL: " + t.getMessage(), t);
      case "KinesisClientLibDependencyException":
      case "DependencyException":
        return new SluiceException(
            ErrorCode.UNAVAILABLE, "KCL dependency failed: " + t.getMessage(), t, true);
      case "InvalidStateException":
        return new SluiceException(ErrorCode.FAILED_PRECONDITION, "KCL: " + t.getMessage(), t);
      default:
        return new SluiceException(ErrorCode.INTERNAL, "KCL: " + t, t);
    }
  }
}
