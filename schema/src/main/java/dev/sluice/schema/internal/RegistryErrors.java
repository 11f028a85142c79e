package dev.sluice.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.io.IOException;
import java.net.URI;

/**
 * Maps the registry's HTTP answers to {@link SluiceException}s. The Confluent API's error bodies
 * are {@code {"error_code": 40403, "message": "..."}}; the registry's message is kept, because it
 * is the one that says which field made a change incompatible.
 */
final class RegistryErrors {
  /** Confluent's codes: subject, version and schema not found; incompatible; invalid schema. */
  static final int SUBJECT_NOT_FOUND = 40401;

  static final int SCHEMA_NOT_FOUND = 40403;

  private RegistryErrors() {}

  static JsonNode check(
      URI baseUrl, String method, String path, String what, int status, String body) {
    JsonNode json = null;
    try {
      json = body == null || body.isBlank() ? null : RegistryClient.parse(body);
    } catch (IOException e) {
      // Not JSON (a proxy's error page, say): the status decides below.
    }
    if (status >= 200 && status < 300 && json != null) {
      return json;
    }
    int errorCode = json == null ? status : json.path("error_code").asInt(status);
    String message = json == null ? String.valueOf(body) : json.path("message").asText(body);
    String where = "Schema registry at " + baseUrl + " (" + method + " " + path + ")";
    if (status == 409) {
      return fail(
          ErrorCode.SERIALIZATION,
          where
              + " refused the schema for "
              + what
              + " as incompatible with the subject's compatibility level: "
              + message);
    }
    if (status == 422) {
      return fail(
          ErrorCode.SERIALIZATION, where + " refused the schema for " + what + ": " + message);
    }
    if (status == 404) {
      if (errorCode == SUBJECT_NOT_FOUND || errorCode == SCHEMA_NOT_FOUND) {
        String hint =
            path.startsWith("/schemas/ids/")
                ? ""
                : " (auto-registration is off: register the schema first, or turn it on)";
        return fail(
            ErrorCode.SERIALIZATION, where + " does not know " + what + ": " + message + hint);
      }
      // A 404 that is not the API's: a wrong base URL.
      return fail(
          ErrorCode.INVALID_CONFIG,
          where
              + " answered 404 "
              + message
              + ": is the URL the root of a Confluent-compatible API?");
    }
    if (status == 401) {
      return fail(ErrorCode.UNAUTHENTICATED, where + " asked for credentials: " + message);
    }
    if (status == 403) {
      return fail(ErrorCode.PERMISSION_DENIED, where + " refused access: " + message);
    }
    if (status == 429) {
      return fail(ErrorCode.THROTTLED, where + " throttled the request: " + message);
    }
    if (status >= 500) {
      return fail(ErrorCode.UNAVAILABLE, where + " failed with " + status + ": " + message);
    }
    return fail(
        ErrorCode.SERIALIZATION, where + " answered " + status + " for " + what + ": " + message);
  }

  private static JsonNode fail(ErrorCode code, String message) {
    throw new SluiceException(code, message);
  }
}
