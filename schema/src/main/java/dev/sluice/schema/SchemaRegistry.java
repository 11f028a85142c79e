package dev.sluice.schema;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.schema.internal.RegistryClient;
import java.net.URI;
import java.time.Duration;

/**
 * A Confluent-compatible schema registry: Confluent Schema Registry, Apicurio Registry (its {@code
 * /apis/ccompat/v7} API), Karapace or Redpanda. Share one per registry: it caches the ids and
 * schemas it learns (they never change in a registry), so each schema costs one request per
 * process, not one per record.
 *
 * <pre>{@code
 * SchemaRegistry registry = SchemaRegistry.at("http://localhost:8080/apis/ccompat/v7");
 * Serde<GenericRecord> orders = AvroSerde.forStream(registry, "orders").generic(orderSchema);
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class SchemaRegistry {
  /** How long one registry request may take unless told otherwise. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final RegistryClient client;

  private SchemaRegistry(RegistryClient client) {
    this.client = client;
  }

  /**
   * The registry whose Confluent-compatible API is rooted at {@code url}, with the default request
   * timeout.
   *
   * @param url the API's root, such as {@code http://registry:8081} (Confluent) or {@code
   *     http://registry:8080/apis/ccompat/v7} (Apicurio)
   * @return the registry
   * @throws SluiceException {@code INVALID_CONFIG} when {@code url} is not an http(s) URL
   */
  public static SchemaRegistry at(String url) {
    return at(url, DEFAULT_REQUEST_TIMEOUT);
  }

  /**
   * The registry whose Confluent-compatible API is rooted at {@code url}.
   *
   * @param url the API's root
   * @param requestTimeout the longest one request may take; a registry slower than that is a
   *     retryable {@code TIMEOUT}
   * @return the registry
   * @throws SluiceException {@code INVALID_CONFIG} when {@code url} is not an http(s) URL, {@code
   *     INVALID_ARGUMENT} when the timeout is not positive
   */
  public static SchemaRegistry at(String url, Duration requestTimeout) {
    if (url == null || url.isBlank()) {
      throw new SluiceException(ErrorCode.INVALID_CONFIG, "The schema registry URL is missing");
    }
    if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "requestTimeout must be positive, not " + requestTimeout);
    }
    URI uri;
    try {
      uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (IllegalArgumentException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "Not a schema registry URL: " + url + " (" + e.getMessage() + ")",
          e);
    }
    String scheme = uri.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)
        || uri.getHost() == null) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG, "Not an http(s) schema registry URL: " + url);
    }
    return new SchemaRegistry(new RegistryClient(uri, requestTimeout));
  }

  /**
   * The API's root this registry was opened at.
   *
   * @return the URL, without a trailing slash
   */
  public String url() {
    return client.baseUrl().toString();
  }

  RegistryClient client() {
    return client;
  }

  @Override
  public String toString() {
    return "SchemaRegistry(" + url() + ")";
  }
}
