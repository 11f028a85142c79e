package dev.sluice.spring.boot.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code sluice.*} properties, described for IDEs (the configuration processor turns this class
 * into Boot's property metadata). The {@code Sluice} bean does not read this object: it is opened
 * with every {@code sluice.*} key of the {@link org.springframework.core.env.Environment}, checked
 * by Sluice itself, so a misspelt key fails at start with a "did you mean". Keys are Sluice's own,
 * dotted as in {@code README.md} ({@code sluice.kafka.bootstrap.servers}); the environment variable
 * of a key is its upper-case form with underscores ({@code SLUICE_KAFKA_BOOTSTRAP_SERVERS}).
 */
@ConfigurationProperties("sluice")
public class SluiceProperties {
  /**
   * The backend: memory (the default: embedded, keeps nothing across restarts), kafka or kinesis.
   * Set sluice.backend.required=true to fail at start when none is named.
   */
  private @Nullable String backend;

  private final Config config = new Config();

  /**
   * Settings of the kafka backend, given to the Kafka clients as they are, e.g.
   * sluice.kafka.bootstrap.servers.
   */
  private Map<String, String> kafka = new LinkedHashMap<>();

  /**
   * Settings of the kinesis backend, e.g. sluice.kinesis.region, sluice.kinesis.endpoint,
   * sluice.kinesis.lease.table.prefix (README lists them all).
   */
  private Map<String, String> kinesis = new LinkedHashMap<>();

  /** Settings of the memory backend, e.g. sluice.memory.namespace. */
  private Map<String, String> memory = new LinkedHashMap<>();

  /**
   * The backend.
   *
   * @return the backend named, or null
   */
  public @Nullable String getBackend() {
    return backend;
  }

  /**
   * Names the backend.
   *
   * @param backend memory, kafka or kinesis
   */
  public void setBackend(@Nullable String backend) {
    this.backend = backend;
  }

  /**
   * The {@code sluice.config.*} group.
   *
   * @return the group
   */
  public Config getConfig() {
    return config;
  }

  /**
   * The kafka backend's settings.
   *
   * @return the keys below sluice.kafka
   */
  public Map<String, String> getKafka() {
    return kafka;
  }

  /**
   * Sets the kafka backend's settings.
   *
   * @param kafka the keys below sluice.kafka
   */
  public void setKafka(Map<String, String> kafka) {
    this.kafka = kafka;
  }

  /**
   * The kinesis backend's settings.
   *
   * @return the keys below sluice.kinesis
   */
  public Map<String, String> getKinesis() {
    return kinesis;
  }

  /**
   * Sets the kinesis backend's settings.
   *
   * @param kinesis the keys below sluice.kinesis
   */
  public void setKinesis(Map<String, String> kinesis) {
    this.kinesis = kinesis;
  }

  /**
   * The memory backend's settings.
   *
   * @return the keys below sluice.memory
   */
  public Map<String, String> getMemory() {
    return memory;
  }

  /**
   * Sets the memory backend's settings.
   *
   * @param memory the keys below sluice.memory
   */
  public void setMemory(Map<String, String> memory) {
    this.memory = memory;
  }

  /** The {@code sluice.config.*} group. */
  public static class Config {
    /**
     * A properties file of sluice.* keys, read below the application's properties (what Boot's
     * Environment has wins).
     */
    private @Nullable String file;

    /**
     * The properties file.
     *
     * @return its path, or null
     */
    public @Nullable String getFile() {
      return file;
    }

    /**
     * Names a properties file.
     *
     * @param file its path
     */
    public void setFile(@Nullable String file) {
      this.file = file;
    }
  }
}
