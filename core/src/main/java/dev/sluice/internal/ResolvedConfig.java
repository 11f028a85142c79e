package dev.sluice.internal;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The merged configuration, and what messages need to name what the user set: the environment
 * variable a key came from ({@code SLUICE_KINESIS_REGOIN}, not {@code sluice.kinesis.regoin}), and
 * whether a backend was named at all or memory was taken by default.
 */
public final class ResolvedConfig {
  private final Map<String, String> values;
  private final Map<String, String> variables;
  private final boolean backendNamed;

  ResolvedConfig(Map<String, String> values, Map<String, String> variables, boolean backendNamed) {
    this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    this.variables = Collections.unmodifiableMap(new TreeMap<>(variables));
    this.backendNamed = backendNamed;
  }

  /** Every {@code sluice.*} key and its value. */
  public Map<String, String> values() {
    return values;
  }

  /** The environment variable that set {@code key}, or null if it came from another source. */
  public @Nullable String variable(String key) {
    return variables.get(key);
  }

  /** False when no source set {@code sluice.backend} and the default, memory, was taken. */
  public boolean backendNamed() {
    return backendNamed;
  }

  /**
   * The key as the user set it, for messages: {@code SLUICE_KINESIS_REGOIN (sluice.kinesis.regoin)}
   * when it came from the environment, else {@code 'sluice.kinesis.regoin'}.
   */
  public String describe(String key) {
    String variable = variables.get(key);
    return variable == null ? "'" + key + "'" : variable + " (" + key + ")";
  }

  /**
   * {@link #describe} for a key the user may have meant: its variable when the key it corrects came
   * from the environment ({@code from}), since that is where the user will fix it.
   */
  String suggest(String meant, String from) {
    return variables.containsKey(from)
        ? ConfigLoader.variableOf(meant) + " (" + meant + ")"
        : "'" + meant + "'";
  }
}
