package dev.sluice.schema.glue.internal;

import com.amazonaws.services.schemaregistry.common.AWSSchemaRegistryClient;
import com.amazonaws.services.schemaregistry.common.SchemaByDefinitionFetcher;
import com.amazonaws.services.schemaregistry.common.configs.GlueSchemaRegistryConfiguration;
import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryDeserializationFacade;
import com.amazonaws.services.schemaregistry.serializers.GlueSchemaRegistrySerializationFacade;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The AWS library's objects one registry shares: one Glue client, a serialization facade with
 * auto-registration on and one with it off (the library reads that switch from its configuration,
 * so a serde picks the facade), and one deserialization facade. Each facade holds the library's
 * cache (definition to UUID, UUID to schema), so sharing them is what makes a schema cost one
 * request per process.
 */
public final class GlueClients {
  private final GlueSchemaRegistrySerializationFacade registering;
  private final GlueSchemaRegistrySerializationFacade notRegistering;
  private final GlueSchemaRegistryDeserializationFacade reading;

  /**
   * Builds the library's client and facades; no request is sent yet.
   *
   * @param config the library's configuration keys (region, endpoint, registry.name, ...)
   * @param credentials the credentials of every Glue call
   * @throws SluiceException {@code INVALID_CONFIG} when the library refuses the configuration
   */
  public GlueClients(Map<String, Object> config, AwsCredentialsProvider credentials) {
    try {
      GlueSchemaRegistryConfiguration on = configuration(config, true);
      GlueSchemaRegistryConfiguration off = configuration(config, false);
      AWSSchemaRegistryClient client = new AWSSchemaRegistryClient(credentials, on);
      this.registering = facade(client, on, credentials);
      this.notRegistering = facade(client, off, credentials);
      this.reading =
          GlueSchemaRegistryDeserializationFacade.builder()
              .configs(withRegistration(config, true))
              .credentialProvider(credentials)
              .schemaRegistryClient(client)
              .build();
    } catch (RuntimeException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "The Glue schema registry library refused the configuration: " + e.getMessage(),
          e);
    }
  }

  private static GlueSchemaRegistrySerializationFacade facade(
      AWSSchemaRegistryClient client,
      GlueSchemaRegistryConfiguration config,
      AwsCredentialsProvider credentials) {
    return GlueSchemaRegistrySerializationFacade.builder()
        .credentialProvider(credentials)
        .glueSchemaRegistryConfiguration(config)
        .schemaByDefinitionFetcher(new SchemaByDefinitionFetcher(client, config))
        .build();
  }

  private static GlueSchemaRegistryConfiguration configuration(
      Map<String, Object> config, boolean autoRegister) {
    return new GlueSchemaRegistryConfiguration(withRegistration(config, autoRegister));
  }

  private static Map<String, Object> withRegistration(
      Map<String, Object> config, boolean autoRegister) {
    Map<String, Object> copy = new HashMap<>(config);
    copy.put("schemaAutoRegistrationEnabled", String.valueOf(autoRegister));
    return copy;
  }

  /**
   * The serialization facade.
   *
   * @param autoRegister whether a schema the registry lacks is registered
   * @return the facade
   */
  public GlueSchemaRegistrySerializationFacade writer(boolean autoRegister) {
    return autoRegister ? registering : notRegistering;
  }

  /**
   * The deserialization facade.
   *
   * @return the facade
   */
  public GlueSchemaRegistryDeserializationFacade reader() {
    return reading;
  }
}
