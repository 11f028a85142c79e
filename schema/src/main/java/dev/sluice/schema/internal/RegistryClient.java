package dev.sluice.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The subset of the Confluent Schema Registry REST API the serdes need: register a schema under a
 * subject, find the id of a schema already registered there, and fetch a schema by id. Ids are
 * immutable in the registry, so what this client learns is cached for its lifetime: a producer
 * talks to the registry once per schema, a consumer once per writer id.
 *
 * <p>Errors are {@link SluiceException}s: an unreachable or failing registry is {@link
 * ErrorCode#UNAVAILABLE} (retryable, so a consumer's failure policy retries the record rather than
 * losing it), a refused or unknown schema is {@link ErrorCode#SERIALIZATION}.
 */
public final class RegistryClient {
  /** The media type of the Confluent API (Apicurio's ccompat, Karapace and Redpanda accept it). */
  static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  /** The Confluent API's name of the Avro schema type, its default. */
  public static final String AVRO = "AVRO";

  /** The Confluent API's name of the Protobuf schema type. */
  public static final String PROTOBUF = "PROTOBUF";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI baseUrl;
  private final Duration requestTimeout;
  private final HttpClient http;
  private final Map<Integer, TypedSchema> schemasById = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

  /**
   * A client of the registry at {@code baseUrl} (for Apicurio, its {@code /apis/ccompat/v7}).
   *
   * @param baseUrl the API's root, without a trailing slash
   * @param requestTimeout the longest one request may take
   */
  public RegistryClient(URI baseUrl, Duration requestTimeout) {
    this.baseUrl = baseUrl;
    this.requestTimeout = requestTimeout;
    this.http = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
  }

  /** The API's root. */
  public URI baseUrl() {
    return baseUrl;
  }

  /**
   * The id of {@code schema} under {@code subject}, registering it first when {@code register} is
   * true (the registry checks it against the subject's compatibility level and returns the existing
   * id when it is already there).
   *
   * @throws SluiceException {@code SERIALIZATION} when the registry refuses the schema (an
   *     incompatible change) or, with {@code register} false, does not have it; {@code UNAVAILABLE}
   *     or {@code TIMEOUT} when the registry cannot be reached
   */
  public int idOf(String subject, String schema, boolean register) {
    return idOf(subject, AVRO, schema, register);
  }

  /**
   * Like {@link #idOf(String, String, boolean)} for a schema of {@code type} ({@code AVRO}, {@code
   * PROTOBUF}, {@code JSON}, the Confluent API's names).
   *
   * @param subject the subject
   * @param type the schema type
   * @param schema the schema text
   * @param register whether to register it when the subject lacks it
   * @return its id
   */
  public int idOf(String subject, String type, String schema, boolean register) {
    SubjectSchema key = new SubjectSchema(subject, type + ":" + schema, register);
    Integer known = idsBySubjectSchema.get(key);
    if (known != null) {
      return known;
    }
    ObjectNode body = JSON.createObjectNode().put("schema", schema);
    if (!AVRO.equals(type)) {
      // The API's default is AVRO; other types say so.
      body.put("schemaType", type);
    }
    String path = "/subjects/" + encode(subject) + (register ? "/versions" : "");
    JsonNode answer = send("POST", path, body.toString(), subject);
    int id = answer.path("id").asInt(-1);
    if (id < 0) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Schema registry at " + baseUrl + " answered without an id for subject " + subject);
    }
    idsBySubjectSchema.put(key, id);
    schemasById.putIfAbsent(id, new TypedSchema(type, schema));
    return id;
  }

  /**
   * The schema (its JSON text) the registry knows by {@code id}.
   *
   * @throws SluiceException {@code SERIALIZATION} when the registry has no such id; {@code
   *     UNAVAILABLE} or {@code TIMEOUT} when it cannot be reached
   */
  public String schemaById(int id) {
    return schemaById(id, AVRO);
  }

  /**
   * Like {@link #schemaById(int)} for a schema that must be of {@code expectedType}.
   *
   * @param id the schema id
   * @param expectedType the Confluent API's name of the type
   * @return the schema text
   */
  public String schemaById(int id, String expectedType) {
    TypedSchema known = schemasById.get(id);
    if (known == null) {
      JsonNode answer = send("GET", "/schemas/ids/" + id, null, "schema id " + id);
      String schema = answer.path("schema").asText(null);
      if (schema == null) {
        throw new SluiceException(
            ErrorCode.SERIALIZATION,
            "Schema registry at " + baseUrl + " answered without a schema for id " + id);
      }
      known = new TypedSchema(answer.path("schemaType").asText(AVRO), schema);
      schemasById.putIfAbsent(id, known);
    }
    String type = known.type();
    if (!expectedType.equals(type)) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Schema id "
              + id
              + " in the registry at "
              + baseUrl
              + " is "
              + type
              + ", not "
              + expectedType);
    }
    return known.schema();
  }

  private JsonNode send(String method, String path, String body, String what) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(requestTimeout)
            .header("Accept", CONTENT_TYPE + ", application/json");
    if (body == null) {
      request.GET();
    } else {
      request
          .header("Content-Type", CONTENT_TYPE)
          .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new SluiceException(
          ErrorCode.TIMEOUT,
          "Schema registry at "
              + baseUrl
              + " did not answer within "
              + requestTimeout
              + " ("
              + what
              + ")",
          e);
    } catch (ConnectException e) {
      throw unreachable(what, e);
    } catch (IOException e) {
      throw unreachable(what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(
          ErrorCode.UNAVAILABLE, "Interrupted while asking the schema registry about " + what, e);
    }
    return RegistryErrors.check(
        baseUrl, method, path, what, response.statusCode(), response.body());
  }

  private SluiceException unreachable(String what, IOException e) {
    return new SluiceException(
        ErrorCode.UNAVAILABLE,
        "Schema registry at " + baseUrl + " is unreachable (" + what + "): " + e,
        e);
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static JsonNode parse(String body) throws IOException {
    return JSON.readTree(body);
  }

  @Override
  public String toString() {
    return "RegistryClient(" + baseUrl + ")";
  }

  /** Registration and look-up answer differently (look-up fails where register would succeed). */
  private record SubjectSchema(String subject, String schema, boolean register) {}

  private record TypedSchema(String type, String schema) {}
}
