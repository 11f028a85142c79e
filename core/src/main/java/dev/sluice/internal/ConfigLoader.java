package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Merges Sluice's configuration sources. Precedence, highest first: explicit settings, system
 * properties, environment variables, the properties file, defaults.
 */
public final class ConfigLoader {
  public static final String PREFIX = "sluice.";
  public static final String BACKEND = "sluice.backend";
  public static final String CONFIG_FILE = "sluice.config.file";
  public static final String DEFAULT_BACKEND = "memory";

  private static final String ENV_PREFIX = "SLUICE_";

  private ConfigLoader() {}

  /** The merged {@code sluice.*} configuration. */
  public static Map<String, String> resolve(
      Map<String, String> explicit,
      Properties systemProperties,
      Map<String, String> environment,
      @Nullable Path file) {
    Map<String, String> fromSystem = sluiceKeys(systemProperties);
    Map<String, String> fromEnv = fromEnvironment(environment);

    Path configFile = file;
    for (Map<String, String> source : java.util.List.of(explicit, fromSystem, fromEnv)) {
      if (configFile == null && source.containsKey(CONFIG_FILE)) {
        configFile = Path.of(source.get(CONFIG_FILE));
      }
    }

    Map<String, String> merged = new TreeMap<>();
    merged.put(BACKEND, DEFAULT_BACKEND);
    if (configFile != null) {
      merged.putAll(readFile(configFile));
    }
    merged.putAll(fromEnv);
    merged.putAll(fromSystem);
    for (Map.Entry<String, String> e : explicit.entrySet()) {
      if (!e.getKey().startsWith(PREFIX)) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Configuration key '" + e.getKey() + "' does not start with 'sluice.'");
      }
      merged.put(e.getKey(), e.getValue());
    }
    merged.put(BACKEND, merged.get(BACKEND).trim().toLowerCase(Locale.ROOT));
    return merged;
  }

  /** {@code SLUICE_KAFKA_BOOTSTRAP_SERVERS} → {@code sluice.kafka.bootstrap.servers}. */
  static Map<String, String> fromEnvironment(Map<String, String> environment) {
    Map<String, String> out = new TreeMap<>();
    environment.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
            out.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
          }
        });
    return out;
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

  /** The known key closest to {@code key}, for a "did you mean" hint, or null if none is close. */
  public static @Nullable String closest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = distance(key, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best != null && bestDistance <= Math.max(2, key.length() / 4) ? best : null;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** The value with secrets masked, for logs and {@code Sluice.configuration()}. */
  public static String mask(String key, String value) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.contains("secret")
        || k.contains("password")
        || k.contains("sasl.jaas")
        || k.contains("token")
        || k.contains("access.key")
        || k.endsWith(".key")) {
      return "******";
    }
    return value;
  }
}
