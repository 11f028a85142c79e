package dev.sluice.schema.glue;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.schema.glue.internal.GlueClients;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * One registry of the AWS Glue Schema Registry, in one region. Share one per registry: it holds the
 * Glue client and the library's caches (schema definition to schema-version UUID when writing, UUID
 * to schema when reading), so each schema costs one request per process, not one per record.
 *
 * <pre>{@code
 * GlueSchemaRegistry glue = GlueSchemaRegistry.builder()
 *     .region("eu-west-1")
 *     .registryName("orders-registry")
 *     .build();
 * Serde<GenericRecord> orders = GlueAvroSerde.forStream(glue, "orders").generic(orderSchema);
 * }</pre>
 *
 * <p>Or from properties ({@link #fromProperties(Map)}): {@code sluice.glue.region}, {@code
 * sluice.glue.registry.name}, {@code sluice.glue.endpoint}, {@code sluice.glue.compression} ({@code
 * none}/{@code zlib}), {@code sluice.glue.compatibility}, {@code sluice.glue.cache.size}, {@code
 * sluice.glue.cache.ttl.ms}, {@code sluice.glue.access.key.id} and {@code
 * sluice.glue.secret.access.key} (otherwise the AWS SDK's default credentials chain).
 *
 * <p>Calls Glue's GetSchemaByDefinition, CreateSchema, RegisterSchemaVersion, GetSchemaVersion and
 * PutSchemaVersionMetadata through AWS's {@code schema-registry-serde} library; the credentials
 * need those permissions on the registry and its schemas. Thread-safe; holds no thread.
 */
public final class GlueSchemaRegistry {
  /** The registry name Glue's library uses when none is given. */
  public static final String DEFAULT_REGISTRY_NAME = "default-registry";

  /** Prefix of the property keys {@link #fromProperties(Map)} reads. */
  public static final String PREFIX = "sluice.glue.";

  private static final Set<String> KEYS =
      Set.of(
          PREFIX + "region",
          PREFIX + "registry.name",
          PREFIX + "endpoint",
          PREFIX + "compression",
          PREFIX + "compatibility",
          PREFIX + "cache.size",
          PREFIX + "cache.ttl.ms",
          PREFIX + "access.key.id",
          PREFIX + "secret.access.key");

  private final Builder settings;
  private final GlueClients clients;

  private GlueSchemaRegistry(Builder settings) {
    this.settings = settings;
    this.clients = new GlueClients(settings.libraryConfig(), settings.credentials());
  }

  /**
   * Options of a registry; {@code region} is required.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A registry configured by the {@code sluice.glue.*} keys of {@code properties} (see the class
   * comment); other keys are ignored, a misspelled {@code sluice.glue.} key is refused.
   *
   * @param properties the configuration
   * @return the registry
   * @throws SluiceException {@code INVALID_CONFIG} for an unknown {@code sluice.glue.} key, a
   *     missing region or a value that does not parse
   */
  public static GlueSchemaRegistry fromProperties(Map<String, String> properties) {
    if (properties == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "properties must not be null");
    }
    Set<String> unknown = new TreeSet<>();
    for (String key : properties.keySet()) {
      if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "Unknown Glue schema registry keys " + unknown + "; known keys: " + new TreeSet<>(KEYS));
    }
    Builder b = builder();
    String region = properties.get(PREFIX + "region");
    if (region != null) {
      b.region(region);
    }
    String name = properties.get(PREFIX + "registry.name");
    if (name != null) {
      b.registryName(name);
    }
    String endpoint = properties.get(PREFIX + "endpoint");
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    String compression = properties.get(PREFIX + "compression");
    if (compression != null) {
      b.compression(parse(Compression.class, PREFIX + "compression", compression));
    }
    String compatibility = properties.get(PREFIX + "compatibility");
    if (compatibility != null) {
      b.compatibility(parse(Compatibility.class, PREFIX + "compatibility", compatibility));
    }
    String size = properties.get(PREFIX + "cache.size");
    String ttl = properties.get(PREFIX + "cache.ttl.ms");
    if (size != null || ttl != null) {
      b.cache(
          size == null ? b.cacheSize : number(PREFIX + "cache.size", size),
          ttl == null ? b.cacheTtl : Duration.ofMillis(number(PREFIX + "cache.ttl.ms", ttl)));
    }
    String keyId = properties.get(PREFIX + "access.key.id");
    String secret = properties.get(PREFIX + "secret.access.key");
    if (keyId != null || secret != null) {
      if (keyId == null || secret == null) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            PREFIX + "access.key.id and " + PREFIX + "secret.access.key go together");
      }
      b.staticCredentials(keyId, secret);
    }
    return b.build();
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String key, String value) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          key
              + "="
              + value
              + " is not one of "
              + java.util.Arrays.toString(type.getEnumConstants()),
          e);
    }
  }

  private static int number(String key, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG, key + "=" + value + " is not a number", e);
    }
  }

  /**
   * The registry's name.
   *
   * @return the name schemas are registered under
   */
  public String registryName() {
    return settings.registryName;
  }

  /**
   * The AWS region.
   *
   * @return the region
   */
  public String region() {
    return String.valueOf(settings.region);
  }

  /**
   * The library-side clients; not for applications.
   *
   * @return the clients
   */
  GlueClients clients() {
    return clients;
  }

  @Override
  public String toString() {
    return "GlueSchemaRegistry("
        + settings.registryName
        + " in "
        + settings.region
        + (settings.endpoint == null ? "" : " at " + settings.endpoint)
        + ")";
  }

  /** Options of a {@link GlueSchemaRegistry}. */
  public static final class Builder {
    private @Nullable String region;
    private String registryName = DEFAULT_REGISTRY_NAME;
    private @Nullable URI endpoint;
    private @Nullable AwsCredentialsProvider credentials;
    private Compression compression = Compression.NONE;
    private Compatibility compatibility = Compatibility.BACKWARD;
    private int cacheSize = 200;
    private Duration cacheTtl = Duration.ofDays(1);

    private Builder() {}

    /**
     * The AWS region of the registry (required).
     *
     * @param region such as {@code eu-west-1}
     * @return this builder
     */
    public Builder region(String region) {
      if (region == null || region.isBlank()) {
        throw new SluiceException(ErrorCode.INVALID_CONFIG, "The Glue region must not be blank");
      }
      this.region = region.trim();
      return this;
    }

    /**
     * The registry's name; {@value GlueSchemaRegistry#DEFAULT_REGISTRY_NAME} unless set.
     *
     * @param registryName the name
     * @return this builder
     */
    public Builder registryName(String registryName) {
      if (registryName == null || registryName.isBlank()) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG, "The Glue registry name must not be blank");
      }
      this.registryName = registryName.trim();
      return this;
    }

    /**
     * Another endpoint than the region's Glue endpoint (a VPC endpoint, say).
     *
     * @param endpoint an http(s) URL
     * @return this builder
     */
    public Builder endpoint(String endpoint) {
      URI uri;
      try {
        uri = endpoint == null ? null : URI.create(endpoint.trim());
      } catch (IllegalArgumentException e) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG, "Not a Glue endpoint URL: " + endpoint, e);
      }
      if (uri == null
          || uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme())
              || "https".equalsIgnoreCase(uri.getScheme()))) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG, "Not an http(s) Glue endpoint URL: " + endpoint);
      }
      this.endpoint = uri;
      return this;
    }

    /**
     * The credentials; the AWS SDK's default chain (environment, profile, container or instance
     * role, web identity) unless set.
     *
     * @param credentials an AWS SDK credentials provider
     * @return this builder
     */
    public Builder credentials(AwsCredentialsProvider credentials) {
      if (credentials == null) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "credentials must not be null");
      }
      this.credentials = credentials;
      return this;
    }

    /**
     * Fixed credentials.
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret access key
     * @return this builder
     */
    public Builder staticCredentials(String accessKeyId, String secretAccessKey) {
      if (accessKeyId == null || accessKeyId.isBlank() || secretAccessKey == null) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG, "Static Glue credentials need a key id and a secret");
      }
      return credentials(
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(accessKeyId, secretAccessKey)));
    }

    /**
     * How records are stored after the header; {@link Compression#NONE} unless set. Readers inflate
     * what is compressed whatever this says.
     *
     * @param compression the compression of written records
     * @return this builder
     */
    public Builder compression(Compression compression) {
      if (compression == null) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "compression must not be null");
      }
      this.compression = compression;
      return this;
    }

    /**
     * The compatibility mode of schemas the serdes create; {@link Compatibility#BACKWARD} (Glue's
     * default) unless set. Glue checks each new version of a schema against its mode.
     *
     * @param compatibility the mode
     * @return this builder
     */
    public Builder compatibility(Compatibility compatibility) {
      if (compatibility == null) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "compatibility must not be null");
      }
      this.compatibility = compatibility;
      return this;
    }

    /**
     * The local caches of schema versions: at most {@code size} entries each, each refreshed after
     * {@code timeToLive}; 200 and one day unless set.
     *
     * @param size the most entries per cache
     * @param timeToLive how long an entry is used before it is asked again
     * @return this builder
     */
    public Builder cache(int size, Duration timeToLive) {
      if (size < 1 || timeToLive == null || timeToLive.isNegative() || timeToLive.isZero()) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "The Glue cache needs a positive size and time to live, not "
                + size
                + ", "
                + timeToLive);
      }
      this.cacheSize = size;
      this.cacheTtl = timeToLive;
      return this;
    }

    /**
     * The registry.
     *
     * @return the registry
     * @throws SluiceException {@code INVALID_CONFIG} when the region is missing
     */
    public GlueSchemaRegistry build() {
      if (region == null) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG, "The Glue schema registry needs a region (region(...))");
      }
      return new GlueSchemaRegistry(this);
    }

    AwsCredentialsProvider credentials() {
      return credentials != null ? credentials : DefaultCredentialsProvider.builder().build();
    }

    /** The library's configuration, in its own keys (AWSSchemaRegistryConstants). */
    Map<String, Object> libraryConfig() {
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("region", String.valueOf(region));
      if (endpoint != null) {
        config.put("endpoint", endpoint.toString());
      }
      config.put("registry.name", registryName);
      config.put("compression", compression.name());
      config.put("compatibility", compatibility.name());
      config.put("cacheSize", String.valueOf(cacheSize));
      config.put("timeToLiveMillis", String.valueOf(cacheTtl.toMillis()));
      // Read by the library's deserializers; Sluice resolves Avro itself and re-reads Protobuf
      // into the application's type, so the generic forms are what it asks for.
      config.put("avroRecordType", "GENERIC_RECORD");
      config.put("protobufMessageType", "DYNAMIC_MESSAGE");
      return config;
    }
  }
}
