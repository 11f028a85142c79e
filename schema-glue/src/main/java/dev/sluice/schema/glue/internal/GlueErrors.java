package dev.sluice.schema.glue.internal;

import com.amazonaws.services.schemaregistry.exception.GlueSchemaRegistryIncompatibleDataException;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.glue.model.EntityNotFoundException;

/**
 * Maps what AWS's library throws to {@link SluiceException}s. The library wraps the Glue client's
 * error in its own {@code AWSSchemaRegistryException}, sometimes twice and sometimes inside a Guava
 * cache's exception, so the whole cause chain is read: the AWS SDK's exception in it decides the
 * code, and every message in it is kept (the innermost one is Glue's own words).
 */
public final class GlueErrors {
  /** What the library says when auto-registration is off and the schema is missing. */
  static final String AUTO_REGISTRATION_OFF = "Auto registration of schema is not enabled";

  /** What the library says when Glue refused a new version (its status is FAILURE). */
  static final String EVOLUTION_FAILED = "Schema evolution check failed";

  private GlueErrors() {}

  /**
   * The {@link SluiceException} for a failure of the library.
   *
   * @param error what the library threw
   * @param what what was being done, for the message ("write ... for schema orders")
   * @return the exception to throw
   */
  public static SluiceException translate(Throwable error, String what) {
    @Nullable SluiceException already = find(error, SluiceException.class);
    if (already != null) {
      return already;
    }
    String messages = messages(error);
    if (find(error, GlueSchemaRegistryIncompatibleDataException.class) != null) {
      return new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot " + what + ": the bytes are not in Glue's wire format (" + messages + ")",
          error);
    }
    if (messages.contains(AUTO_REGISTRATION_OFF)) {
      return new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot "
              + what
              + ": the registry does not have this schema version and auto-registration is off"
              + " (register the schema first, or turn it on): "
              + messages,
          error);
    }
    if (messages.contains(EVOLUTION_FAILED)) {
      return new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot "
              + what
              + ": the registry refused the schema as incompatible with the schema's"
              + " compatibility mode: "
              + messages,
          error);
    }
    if (find(error, ApiCallTimeoutException.class) != null
        || find(error, ApiCallAttemptTimeoutException.class) != null) {
      return new SluiceException(
          ErrorCode.TIMEOUT,
          "Cannot " + what + ": the Glue registry timed out: " + messages,
          error);
    }
    @Nullable EntityNotFoundException notFound = find(error, EntityNotFoundException.class);
    if (notFound != null) {
      return new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot " + what + ": the Glue registry does not know it: " + messages,
          error);
    }
    @Nullable SdkServiceException service = find(error, SdkServiceException.class);
    if (service != null) {
      int status = service.statusCode();
      // Glue's JSON protocol answers most client errors with 400: the error code says which.
      String type =
          service instanceof AwsServiceException aws && aws.awsErrorDetails() != null
              ? String.valueOf(aws.awsErrorDetails().errorCode())
              : "";
      ErrorCode code;
      if (service.isThrottlingException() || status == 429) {
        code = ErrorCode.THROTTLED;
      } else if (status == 401
          || type.equals("UnrecognizedClientException")
          || type.equals("InvalidSignatureException")
          || type.equals("ExpiredTokenException")) {
        code = ErrorCode.UNAUTHENTICATED;
      } else if (status == 403 || type.equals("AccessDeniedException")) {
        code = ErrorCode.PERMISSION_DENIED;
      } else if (status >= 500) {
        code = ErrorCode.UNAVAILABLE;
      } else {
        code = ErrorCode.SERIALIZATION;
      }
      return new SluiceException(
          code,
          "Cannot " + what + ": the Glue registry answered " + status + ": " + messages,
          error);
    }
    if (find(error, SdkClientException.class) != null) {
      return new SluiceException(
          ErrorCode.UNAVAILABLE,
          "Cannot " + what + ": the Glue registry is unreachable: " + messages,
          error);
    }
    return new SluiceException(ErrorCode.SERIALIZATION, "Cannot " + what + ": " + messages, error);
  }

  private static <E extends Throwable> @Nullable E find(Throwable error, Class<E> type) {
    int depth = 0;
    for (Throwable t = error; t != null && depth < 20; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static String messages(Throwable error) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    for (Throwable t = error; t != null && depth < 20; t = t.getCause(), depth++) {
      String m = t.getMessage();
      if (m != null && !m.isBlank() && parts.stream().noneMatch(p -> p.contains(m))) {
        parts.add(m);
      }
    }
    return parts.isEmpty() ? error.toString() : String.join(" <- ", parts);
  }
}
