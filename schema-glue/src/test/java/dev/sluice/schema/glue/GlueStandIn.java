package dev.sluice.schema.glue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A STAND-IN for the AWS Glue Schema Registry, not a Glue server: there is no open-source Glue
 * server or emulator to run here, so this loopback HTTP server answers the five Glue API calls
 * AWS's serde library makes (GetSchemaByDefinition, CreateSchema, RegisterSchemaVersion,
 * GetSchemaVersion, PutSchemaVersionMetadata) in the AWS JSON 1.1 protocol the AWS SDK's Glue
 * client speaks, with the error type and messages Glue documents ({@code EntityNotFoundException}
 * "Schema is not found." / "Schema version is not found.", which the library matches on). It exists
 * so the library's real registry flow (its Glue client, retries, caches, registration logic) runs
 * in the tests. Compatibility: only Avro BACKWARD is checked (with Avro's own SchemaCompatibility,
 * the new version must read the previous one); every other mode accepts. What Glue's service does
 * beyond that (IAM, quotas, its own compatibility rules) is not tested locally.
 */
final class GlueStandIn implements AutoCloseable {
  static final String REGION = "us-east-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Map<String, SchemaEntry> schemas = new ConcurrentHashMap<>();
  private final Map<String, Version> versions = new ConcurrentHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private volatile String[] refusal;

  private record Version(
      String id, String registry, String schema, String definition, int number, String status) {}

  private static final class SchemaEntry {
    final String dataFormat;
    final String compatibility;
    final List<Version> versions = new ArrayList<>();

    SchemaEntry(String dataFormat, String compatibility) {
      this.dataFormat = dataFormat;
      this.compatibility = compatibility;
    }
  }

  GlueStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The endpoint to give {@link GlueSchemaRegistry.Builder#endpoint}. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A registry on this stand-in. */
  GlueSchemaRegistry registry(Compression compression) {
    return GlueSchemaRegistry.builder()
        .region(REGION)
        .endpoint(endpoint())
        .registryName("sluice-tests")
        .staticCredentials("test", "test")
        .compression(compression)
        .build();
  }

  /** From now on every call fails with this Glue error type (such as AccessDeniedException). */
  void refuseAll(String type, String message) {
    refusal = new String[] {type, message};
  }

  /** The operations called so far, in order (such as "GetSchemaByDefinition"). */
  List<String> calls() {
    return List.copyOf(calls);
  }

  /** Registers {@code definition} as a version of {@code schema} with a chosen UUID. */
  synchronized void preload(
      String registry, String schema, String dataFormat, String definition, UUID id) {
    SchemaEntry entry =
        schemas.computeIfAbsent(
            key(registry, schema), k -> new SchemaEntry(dataFormat, "BACKWARD"));
    Version v =
        new Version(
            id.toString(), registry, schema, definition, entry.versions.size() + 1, "AVAILABLE");
    entry.versions.add(v);
    versions.put(v.id(), v);
  }

  private static String key(String registry, String schema) {
    return registry + "/" + schema;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
      String operation = target.substring(target.indexOf('.') + 1);
      calls.add(operation);
      JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
      int status = 200;
      ObjectNode answer;
      try {
        String[] refuse = refusal;
        if (refuse != null) {
          throw new Failure(refuse[0], refuse[1]);
        }
        synchronized (this) {
          answer =
              switch (operation) {
                case "GetSchemaByDefinition" -> getByDefinition(body);
                case "CreateSchema" -> createSchema(body);
                case "RegisterSchemaVersion" -> registerVersion(body);
                case "GetSchemaVersion" -> getVersion(body);
                case "PutSchemaVersionMetadata" ->
                    JSON.createObjectNode()
                        .put("SchemaVersionId", body.path("SchemaVersionId").asText());
                default -> throw new Failure("InvalidInputException", operation + " is not served");
              };
        }
      } catch (Failure f) {
        status = 400;
        answer = JSON.createObjectNode().put("__type", f.type).put("Message", f.getMessage());
      }
      send(exchange, status, answer);
    }
  }

  private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private ObjectNode getByDefinition(JsonNode body) {
    SchemaEntry entry = schema(body.path("SchemaId"));
    String definition = body.path("SchemaDefinition").asText();
    for (Version v : entry.versions) {
      if (v.definition().equals(definition) && v.status().equals("AVAILABLE")) {
        return JSON.createObjectNode()
            .put("SchemaVersionId", v.id())
            .put("SchemaArn", arn(v.registry(), v.schema()))
            .put("DataFormat", entry.dataFormat)
            .put("Status", v.status());
      }
    }
    throw new Failure("EntityNotFoundException", "Schema version is not found.");
  }

  private ObjectNode createSchema(JsonNode body) {
    String registry = body.path("RegistryId").path("RegistryName").asText();
    String name = body.path("SchemaName").asText();
    if (schemas.containsKey(key(registry, name))) {
      throw new Failure("AlreadyExistsException", "Schema already exists.");
    }
    SchemaEntry entry =
        new SchemaEntry(
            body.path("DataFormat").asText(), body.path("Compatibility").asText("BACKWARD"));
    schemas.put(key(registry, name), entry);
    Version v = add(entry, registry, name, body.path("SchemaDefinition").asText(), "AVAILABLE");
    return JSON.createObjectNode()
        .put("RegistryName", registry)
        .put("SchemaName", name)
        .put("SchemaArn", arn(registry, name))
        .put("DataFormat", entry.dataFormat)
        .put("Compatibility", entry.compatibility)
        .put("SchemaVersionId", v.id())
        .put("SchemaVersionStatus", v.status())
        .put("LatestSchemaVersion", v.number());
  }

  private ObjectNode registerVersion(JsonNode body) {
    JsonNode id = body.path("SchemaId");
    SchemaEntry entry = schema(id);
    String definition = body.path("SchemaDefinition").asText();
    for (Version v : entry.versions) {
      if (v.definition().equals(definition) && v.status().equals("AVAILABLE")) {
        return versionAnswer(v);
      }
    }
    String status = compatible(entry, definition) ? "AVAILABLE" : "FAILURE";
    Version v =
        add(
            entry,
            id.path("RegistryName").asText(),
            id.path("SchemaName").asText(),
            definition,
            status);
    return versionAnswer(v);
  }

  private static boolean compatible(SchemaEntry entry, String definition) {
    if (!entry.dataFormat.equals("AVRO") || !entry.compatibility.equals("BACKWARD")) {
      return true;
    }
    Version latest = null;
    for (Version v : entry.versions) {
      if (v.status().equals("AVAILABLE")) {
        latest = v;
      }
    }
    if (latest == null) {
      return true;
    }
    Schema previous = new Schema.Parser().parse(latest.definition());
    Schema next = new Schema.Parser().parse(definition);
    return SchemaCompatibility.checkReaderWriterCompatibility(next, previous).getType()
        == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
  }

  private ObjectNode getVersion(JsonNode body) {
    Version v = versions.get(body.path("SchemaVersionId").asText());
    if (v == null) {
      throw new Failure("EntityNotFoundException", "Schema version is not found.");
    }
    SchemaEntry entry = schemas.get(key(v.registry(), v.schema()));
    return versionAnswer(v)
        .put("SchemaDefinition", v.definition())
        .put("DataFormat", entry.dataFormat)
        .put("SchemaArn", arn(v.registry(), v.schema()));
  }

  private static ObjectNode versionAnswer(Version v) {
    return JSON.createObjectNode()
        .put("SchemaVersionId", v.id())
        .put("VersionNumber", v.number())
        .put("Status", v.status());
  }

  private SchemaEntry schema(JsonNode schemaId) {
    SchemaEntry entry =
        schemas.get(
            key(schemaId.path("RegistryName").asText(), schemaId.path("SchemaName").asText()));
    if (entry == null) {
      throw new Failure("EntityNotFoundException", "Schema is not found.");
    }
    return entry;
  }

  private Version add(
      SchemaEntry entry, String registry, String name, String definition, String status) {
    Version v =
        new Version(
            UUID.randomUUID().toString(),
            registry,
            name,
            definition,
            entry.versions.size() + 1,
            status);
    entry.versions.add(v);
    versions.put(v.id(), v);
    return v;
  }

  private static String arn(String registry, String schema) {
    return "arn:aws:glue:" + REGION + ":000000000000:schema/" + registry + "/" + schema;
  }

  /** The operations by how often they were called. */
  Map<String, Integer> callCounts() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String c : calls) {
      counts.merge(c, 1, Integer::sum);
    }
    return counts;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String type;

    Failure(String type, String message) {
      super(message);
      this.type = type;
    }
  }
}
