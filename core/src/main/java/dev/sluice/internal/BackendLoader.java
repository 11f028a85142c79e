package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.spi.Backend;
import dev.sluice.spi.BackendContext;
import dev.sluice.spi.BackendProvider;
import dev.sluice.spi.ConfigValues;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the backend a configuration names: finds the backend providers with {@link ServiceLoader},
 * resolves and checks the configuration against the keys they know, opens the named backend and
 * checks the capabilities the application requires.
 *
 * <p>Its own class because choosing and opening a backend (and explaining, when it cannot, what is
 * wrong) is done once, before anything runs, and shares no state with the {@link SluiceRuntime}
 * that then serves producers and consumers from it.
 */
final class BackendLoader {
  /** SluiceRuntime's logger, as before this class was split out: README names it. */
  private static final Logger LOG = LoggerFactory.getLogger(SluiceRuntime.class);

  /** Where each known backend lives, for the "add this artifact" message. */
  private static final Map<String, String> KNOWN_ARTIFACTS =
      Map.of(
          "memory", "dev.sluice:sluice-core",
          "kafka", "dev.sluice:sluice-kafka",
          "kinesis", "dev.sluice:sluice-kinesis");

  /**
   * The provider class of each known backend: found on the class path but not by {@link
   * ServiceLoader}, the backend is there and its service file was lost (a shaded jar).
   */
  private static final Map<String, String> KNOWN_PROVIDER_CLASSES =
      Map.of(
          "memory", "dev.sluice.memory.MemoryBackendProvider",
          "kafka", "dev.sluice.kafka.internal.KafkaBackendProvider",
          "kinesis", "dev.sluice.kinesis.internal.KinesisBackendProvider");

  static final Set<String> CORE_KEYS =
      Set.of(
          ConfigLoader.BACKEND,
          ConfigLoader.BACKEND_REQUIRED,
          ConfigLoader.CONFIG_FILE,
          SluiceMetrics.SHARD_TAG_KEY);

  /** An opened backend, and the configuration it was opened with. */
  record Opened(String name, Backend backend, Map<String, String> config) {}

  private BackendLoader() {}

  /**
   * Resolves the configuration from these sources, finds the backend, checks the required
   * capabilities and opens it.
   */
  static Opened open(
      ConfigLoader.Sources sources,
      @Nullable MeterRegistry meterRegistry,
      Set<Capability> required) {
    ClassLoader loader = BackendLoader.class.getClassLoader();
    Map<String, BackendProvider> providers = providers(loader);
    Set<String> keys = new TreeSet<>(CORE_KEYS);
    providers.values().forEach(p -> keys.addAll(p.configKeys()));
    Set<String> sections = new TreeSet<>(ConfigLoader.KNOWN_SECTIONS);
    sections.addAll(providers.keySet());
    ResolvedConfig config = ConfigLoader.load(sources, new ConfigLoader.Known(keys, sections));
    return open(config, providers, loader, meterRegistry, required);
  }

  private static Opened open(
      ResolvedConfig resolved,
      Map<String, BackendProvider> providers,
      ClassLoader loader,
      @Nullable MeterRegistry meterRegistry,
      Set<Capability> required) {
    Map<String, String> config = resolved.values();
    String name = config.get(ConfigLoader.BACKEND);
    boolean backendRequired = flag(resolved, ConfigLoader.BACKEND_REQUIRED);
    if (backendRequired && !resolved.backendNamed()) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "No backend is named and "
              + resolved.describe(ConfigLoader.BACKEND_REQUIRED)
              + " is true: set sluice.backend (environment: SLUICE_BACKEND) to one of "
              + new TreeSet<>(KNOWN_ARTIFACTS.keySet())
              + " rather than run on the in-memory default, which keeps nothing across restarts");
    }
    BackendProvider provider = providers.get(name);
    if (provider == null) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG, missingBackend(name, resolved, providers.keySet(), loader));
    }
    checkKeys(resolved, providers);

    String prefix = ConfigLoader.PREFIX + name + ".";
    Map<String, String> section = new TreeMap<>();
    config.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            section.put(k.substring(prefix.length()), v);
          }
        });
    Map<String, String> all = config;
    Map<String, String> own = Collections.unmodifiableMap(section);
    Backend backend;
    try {
      backend =
          provider.open(
              new BackendContext() {
                @Override
                public Map<String, String> config() {
                  return all;
                }

                @Override
                public Map<String, String> section() {
                  return own;
                }

                @Override
                public @Nullable MeterRegistry meterRegistry() {
                  return meterRegistry;
                }
              });
    } catch (SluiceException e) {
      throw namingVariables(e, resolved);
    } catch (RuntimeException e) {
      throw namingVariables(
          new SluiceException(
              ErrorCode.INVALID_CONFIG,
              "Backend '" + name + "' failed to open: " + e.getMessage(),
              e),
          resolved);
    }

    Capabilities caps = backend.capabilities();
    List<Capability> missing = new ArrayList<>();
    for (Capability c : required) {
      if (!caps.supports(c)) {
        missing.add(c);
      }
    }
    if (!missing.isEmpty()) {
      backend.close();
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "Backend '" + name + "' does not support " + missing + " required by the application");
    }
    LOG.info("{}", openedLine(resolved));
    if (!resolved.backendNamed()) {
      LOG.warn(
          "No backend is named (sluice.backend, or SLUICE_BACKEND in the environment): running on"
              + " the in-memory backend, which keeps nothing across restarts and shares nothing"
              + " with other processes. Name one to use a broker; set {}=true to make a missing"
              + " backend an error.",
          ConfigLoader.BACKEND_REQUIRED);
    }
    return new Opened(name, backend, config);
  }

  /**
   * The line logged when a {@code Sluice} opens: the backend, how it was chosen, and the settings
   * in effect, secrets masked. Backend defaults not set anywhere are not listed.
   */
  static String openedLine(ResolvedConfig resolved) {
    Map<String, String> config = resolved.values();
    StringBuilder line =
        new StringBuilder("Sluice opened with backend ").append(config.get(ConfigLoader.BACKEND));
    String variable = resolved.variable(ConfigLoader.BACKEND);
    line.append(
        !resolved.backendNamed()
            ? " (the default: sluice.backend is not set)"
            : " (named by " + (variable != null ? variable : ConfigLoader.BACKEND) + ")");
    line.append("; settings: {");
    String separator = "";
    for (Map.Entry<String, String> e : config.entrySet()) {
      if (e.getKey().equals(ConfigLoader.BACKEND)) {
        continue;
      }
      line.append(separator)
          .append(e.getKey())
          .append('=')
          .append(ConfigLoader.mask(e.getKey(), e.getValue()));
      String from = resolved.variable(e.getKey());
      if (from != null) {
        line.append(" (").append(from).append(')');
      }
      separator = ", ";
    }
    return line.append('}').toString();
  }

  private static boolean flag(ResolvedConfig resolved, String key) {
    String value = resolved.values().get(key);
    if (value == null) {
      return false;
    }
    switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Bad value '" + value + "' for " + resolved.describe(key) + ": true or false");
    }
  }

  /**
   * Why the backend {@code name} cannot be opened. A known backend whose provider class is on the
   * class path but was not found by {@link ServiceLoader} lost its {@code META-INF/services} entry:
   * typical of a shaded or fat jar that keeps one service file out of several. Telling the user to
   * add a dependency they already have would send them the wrong way.
   */
  static String missingBackend(
      String name, ResolvedConfig resolved, Set<String> found, ClassLoader loader) {
    String artifact = KNOWN_ARTIFACTS.get(name);
    String where = resolved.describe(ConfigLoader.BACKEND);
    if (artifact == null) {
      return "Unknown backend '"
          + name
          + "' in "
          + where
          + "; the backends on the class path are "
          + found
          + hint(name, found);
    }
    String providerClass = KNOWN_PROVIDER_CLASSES.get(name);
    if (isPresent(providerClass, loader)) {
      return "Backend '"
          + name
          + "' (named in "
          + where
          + ") is on the class path ("
          + providerClass
          + ") but not registered: no META-INF/services/"
          + BackendProvider.class.getName()
          + " lists it. A shaded or fat jar keeps only one of the service files of that name unless"
          + " it merges them: with maven-shade-plugin add <transformer implementation="
          + "\"org.apache.maven.plugins.shade.resource.ServicesResourceTransformer\"/>, with"
          + " Gradle's shadow plugin mergeServiceFiles(). (Backends registered: "
          + found
          + ")";
    }
    return "Backend '"
        + name
        + "' (named in "
        + where
        + ") is not on the class path: add the dependency "
        + artifact
        + " (found: "
        + found
        + ")";
  }

  private static boolean isPresent(String className, ClassLoader loader) {
    try {
      Class.forName(className, false, loader);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** The backend's message, naming the environment variables of the keys it mentions. */
  private static SluiceException namingVariables(SluiceException e, ResolvedConfig resolved) {
    String message = String.valueOf(e.getMessage());
    List<String> named = new ArrayList<>();
    for (String key : resolved.values().keySet()) {
      String variable = resolved.variable(key);
      if (variable != null && message.contains(key) && !message.contains(variable)) {
        named.add(variable);
      }
    }
    if (named.isEmpty()) {
      return e;
    }
    return new SluiceException(
        e.code(), message + " (set by environment variable " + String.join(", ", named) + ")", e);
  }

  static Map<String, BackendProvider> providers(ClassLoader loader) {
    Map<String, BackendProvider> providers = new LinkedHashMap<>();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, loader)) {
      BackendProvider previous = providers.putIfAbsent(p.name(), p);
      if (previous != null && previous.getClass() != p.getClass()) {
        throw new SluiceException(
            ErrorCode.INVALID_CONFIG,
            "Two backends are named '"
                + p.name()
                + "': "
                + previous.getClass().getName()
                + " and "
                + p.getClass().getName());
      }
    }
    return providers;
  }

  /** Every {@code sluice.*} key must be known to core or to the backend whose section it is in. */
  private static void checkKeys(ResolvedConfig resolved, Map<String, BackendProvider> providers) {
    Set<String> known = new TreeSet<>(CORE_KEYS);
    providers.values().forEach(p -> known.addAll(p.configKeys()));
    for (String key : resolved.values().keySet()) {
      if (CORE_KEYS.contains(key)) {
        continue;
      }
      String rest = key.substring(ConfigLoader.PREFIX.length());
      int dot = rest.indexOf('.');
      String section = dot < 0 ? rest : rest.substring(0, dot);
      BackendProvider owner = providers.get(section);
      if (owner == null && KNOWN_ARTIFACTS.containsKey(section)) {
        continue; // a section of a backend that is not on the class path: nothing to check it with
      }
      if (owner != null && (owner.configKeys().contains(key) || owner.acceptsKey(key))) {
        continue;
      }
      String closest = ConfigValues.closest(key, known);
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "Unknown configuration key "
              + resolved.describe(key)
              + (closest == null ? "" : "; did you mean " + resolved.suggest(closest, key) + "?"));
    }
  }

  private static String hint(String key, Set<String> known) {
    String closest = ConfigValues.closest(key, known);
    return closest == null ? "" : "; did you mean '" + closest + "'?";
  }
}
