package dev.sluice.spring.boot.autoconfigure;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Reads every {@code sluice.*} key of Boot's {@link Environment} (application properties and YAML,
 * profiles, command line, system properties, environment variables, test properties), each with the
 * value of the source Boot ranks highest. Sluice then checks the keys itself, so an unknown one
 * fails at start with its "did you mean".
 */
final class SluiceEnvironment {
  private static final ConfigurationPropertyName SLUICE = ConfigurationPropertyName.of("sluice");

  /** Core keys an environment variable may set (see README, "Environment variables"). */
  private static final Set<String> CORE_KEYS =
      Set.of(
          "sluice.backend",
          "sluice.backend.required",
          "sluice.config.file",
          "sluice.metrics.shard.tag");

  /** Backend sections an environment variable may set any key of. */
  private static final Set<String> SECTIONS = Set.of("memory", "kafka", "kinesis");

  private SluiceEnvironment() {}

  /**
   * The {@code sluice.*} settings, by Sluice's key.
   *
   * @param environment the application's environment
   * @return the settings to open Sluice with
   */
  static Map<String, String> settings(Environment environment) {
    Binder binder = Binder.get(environment);
    Map<String, String> settings = new TreeMap<>();
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)) {
        continue;
      }
      // The process environment is shared with everything on the machine: like Sluice on its own,
      // take only the SLUICE_* variables that are plainly Sluice's (SLUICE_VERSION is not).
      boolean variables = source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource;
      iterable.stream()
          .filter(SLUICE::isAncestorOf)
          .forEach(
              name -> {
                String key = name.toString();
                if (variables && !ownVariable(key)) {
                  return;
                }
                // The Environment's value, not this source's: a higher-ranked source wins.
                binder
                    .bind(name, Bindable.of(String.class))
                    .ifBound(value -> settings.putIfAbsent(key, value));
              });
    }
    return settings;
  }

  private static boolean ownVariable(String key) {
    if (CORE_KEYS.contains(key)) {
      return true;
    }
    String rest = key.substring("sluice.".length());
    int dot = rest.indexOf('.');
    return dot > 0 && SECTIONS.contains(rest.substring(0, dot));
  }
}
