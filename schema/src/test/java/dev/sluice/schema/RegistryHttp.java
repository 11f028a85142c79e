package dev.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Plain calls to the registry's Confluent API, as an operator or another tool would make them: the
 * tests check what Sluice registered, and set compatibility levels, without Sluice's client.
 */
final class RegistryHttp {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String url;

  RegistryHttp(String url) {
    this.url = url;
  }

  /** Sets the subject's compatibility level (BACKWARD, FORWARD, FULL, NONE, ...). */
  void setCompatibility(String subject, String level) {
    JsonNode answer = call("PUT", "/config/" + subject, "{\"compatibility\":\"" + level + "\"}");
    assertThat(answer.path("compatibility").asText()).isEqualTo(level);
  }

  /** The id of the subject's latest version. */
  int latestId(String subject) {
    return call("GET", "/subjects/" + subject + "/versions/latest", null).path("id").asInt();
  }

  /** The type (AVRO when the registry leaves it out) of the schema under {@code id}. */
  String schemaTypeById(int id) {
    return call("GET", "/schemas/ids/" + id, null).path("schemaType").asText("AVRO");
  }

  /** The schema text the registry holds under {@code id}. */
  String schemaById(int id) {
    return call("GET", "/schemas/ids/" + id, null).path("schema").asText();
  }

  private JsonNode call(String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + path))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> response =
          HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode())
          .as(method + " " + path + ": " + response.body())
          .isEqualTo(200);
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
