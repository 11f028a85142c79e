package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.spi.ConfigValues;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Merges Sluice's configuration sources. Precedence, highest first: explicit settings, system
 * properties, environment variables, the properties file, defaults.
 *
 * <p>Environment variables are shared with everything else on the machine, so only those that are
 * plainly meant for Sluice are read: a variable that names a Sluice setting ({@code
 * SLUICE_BACKEND}, {@code SLUICE_CONFIG_FILE}, ...), or one in a backend's section ({@code
 * SLUICE_MEMORY_*}, {@code SLUICE_KAFKA_*}, {@code SLUICE_KINESIS_*}, and the section of any other
 * backend on the class path), which the backend then checks. Any other {@code SLUICE_*} variable
 * ({@code SLUICE_VERSION}) is not Sluice's and is ignored, unless it is one or two typing mistakes
 * away from a Sluice variable or section: then it fails with a "did you mean", as a misspelled
 * setting would otherwise be dropped silently.
 */
public final class ConfigLoader {
  public static final String PREFIX = "sluice.";
  public static final String BACKEND = "sluice.backend";
  public static final String BACKEND_REQUIRED = "sluice.backend.required";
  public static final String CONFIG_FILE = "sluice.config.file";
  public static final String DEFAULT_BACKEND = "memory";

  /** The sections of the backends Sluice ships, read from the environment even when absent. */
  public static final Set<String> KNOWN_SECTIONS = Set.of("memory", "kafka", "kinesis");

  private static final String ENV_PREFIX = "SLUICE_";

  private ConfigLoader() {}

  /** Where the configuration comes from; {@code file} may be null. */
  public record Sources(
      Map<String, String> explicit,
      Properties systemProperties,
      Map<String, String> environment,
      @Nullable Path file) {}

  /**
   * What the environment may configure: the keys known to core and the backends on the class path,
   * and the backend sections.
   */
  public record Known(Set<String> keys, Set<String> sections) {}

  /** The merged {@code sluice.*} configuration; environment rules for the built-in backends. */
  public static Map<String, String> resolve(
      Map<String, String> explicit,
      Properties systemProperties,
      Map<String, String> environment,
      @Nullable Path file) {
    return load(
            new Sources(explicit, systemProperties, environment, file),
            new Known(BackendLoader.CORE_KEYS, KNOWN_SECTIONS))
        .values();
  }

  /** The merged configuration, and which keys came from environment variables. */
  public static ResolvedConfig load(Sources sources, Known known) {
    Map<String, String> fromSystem = sluiceKeys(sources.systemProperties());
    Map<String, String> variables = new TreeMap<>();
    Map<String, String> fromEnv = fromEnvironment(sources.environment(), known, variables);

    Path configFile = sources.file();
    for (Map<String, String> source : List.of(sources.explicit(), fromSystem, fromEnv)) {
      if (configFile == null && source.containsKey(CONFIG_FILE)) {
        configFile = Path.of(source.get(CONFIG_FILE));
      }
    }

    Map<String, String> merged = new TreeMap<>();
    if (configFile != null) {
      merged.putAll(readFile(configFile));
    }
    merged.putAll(fromEnv);
    merged.putAll(fromSystem);
    for (Map.Entry<String, String> e : sources.explicit().entrySet()) {
      if (!e.getKey().startsWith(PREFIX)) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Configuration key '" + e.getKey() + "' does not start with 'sluice.'");
      }
      merged.put(e.getKey(), e.getValue());
    }
    // A key set again by a source above the environment no longer comes from its variable.
    variables
        .keySet()
        .removeIf(k -> fromSystem.containsKey(k) || sources.explicit().containsKey(k));
    boolean backendNamed = merged.containsKey(BACKEND);
    merged.put(
        BACKEND, merged.getOrDefault(BACKEND, DEFAULT_BACKEND).trim().toLowerCase(Locale.ROOT));
    return new ResolvedConfig(merged, variables, backendNamed);
  }

  /**
   * The environment variable that sets {@code key}: {@code sluice.kafka.acks} → {@code
   * SLUICE_KAFKA_ACKS}.
   */
  public static String variableOf(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /**
   * {@code SLUICE_KAFKA_BOOTSTRAP_SERVERS} → {@code sluice.kafka.bootstrap.servers}, for the
   * variables that are Sluice's (see the class comment); {@code variables} gets key → variable.
   */
  static Map<String, String> fromEnvironment(
      Map<String, String> environment, Known known, Map<String, String> variables) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
        continue;
      }
      String key = name.toLowerCase(Locale.ROOT).replace('_', '.');
      String rest = key.substring(PREFIX.length());
      int dot = rest.indexOf('.');
      String section = dot < 0 ? rest : rest.substring(0, dot);
      if (known.keys().contains(key) || (dot > 0 && known.sections().contains(section))) {
        out.put(key, e.getValue());
        variables.put(key, name);
        continue;
      }
      String meant = nearMiss(name, section, dot < 0 ? "" : rest.substring(dot), known);
      if (meant != null) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Environment variable "
                + name
                + " is not a Sluice setting; did you mean "
                + meant
                + "? (Sluice reads only the SLUICE_ variables that name a setting or a backend"
                + " section, such as SLUICE_KAFKA_*; others are left alone.)");
      }
    }
    return out;
  }

  /**
   * The Sluice variable {@code name} is a typing mistake of, or null if it is not close to one: the
   * whole name at most two edits from a known setting's variable, or its first word from a
   * section's (one edit; two for a word of five letters or more).
   */
  private static @Nullable String nearMiss(String name, String section, String rest, Known known) {
    String best = null;
    int bestDistance = 3;
    for (String key : known.keys()) {
      String variable = variableOf(key);
      int d = ConfigValues.editDistance(name, variable);
      if (d < bestDistance) {
        bestDistance = d;
        best = variable + " (" + key + ")";
      }
    }
    if (best != null) {
      return best;
    }
    if (rest.isEmpty()) {
      return null;
    }
    for (String candidate : known.sections()) {
      int d = ConfigValues.editDistance(section, candidate);
      if (d > 0 && d <= (section.length() >= 5 ? 2 : 1)) {
        return variableOf(PREFIX + candidate + rest);
      }
    }
    return null;
  }

  private static Map<String, String> sluiceKeys(Properties properties) {
    Map<String, String> out = new TreeMap<>();
    for (String name : properties.stringPropertyNames()) {
      if (name.startsWith(PREFIX)) {
        out.put(name, properties.getProperty(name));
      }
    }
    return out;
  }

  private static Map<String, String> readFile(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG, "Cannot read the configuration file " + file + ": " + e, e);
    }
    Map<String, String> out = new TreeMap<>();
    for (String name : p.stringPropertyNames()) {
      if (!name.startsWith(PREFIX)) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Key '" + name + "' in " + file + " does not start with 'sluice.'");
      }
      out.put(name, p.getProperty(name).trim());
    }
    return out;
  }

  /** Words that make a key's value a secret, wherever they appear in the key. */
  private static final List<String> SECRET_WORDS =
      List.of(
          "secret",
          "password",
          "passwd",
          "token",
          "sasl.jaas",
          "access.key",
          "private",
          "api.key",
          "apikey");

  /**
   * The value with secrets masked, for logs and {@code Sluice.configuration()}: keys with a secret
   * word, ending in {@code .key} (e.g. Kafka's {@code ssl.keystore.key}), or below a {@code
   * credentials} key ({@code credentials} itself names how credentials are found, not a secret).
   */
  public static String mask(String key, String value) {
    String k = key.toLowerCase(Locale.ROOT);
    for (String word : SECRET_WORDS) {
      if (k.contains(word)) {
        return "******";
      }
    }
    if (k.endsWith(".key") || k.contains("credentials.") || k.contains("credential.")) {
      return "******";
    }
    return value;
  }
}
