package dev.sluice.spi;

import java.util.Set;

/**
 * Makes a backend. Registered in {@code META-INF/services/dev.sluice.spi.BackendProvider}.
 * Implementations must have a public no-argument constructor and be cheap to construct (every
 * provider on the class path is instantiated to read its name).
 */
public interface BackendProvider {
  /**
   * The name selected with {@code sluice.backend}, lower case: {@code kafka}.
   *
   * @return the name selected with {@code sluice.backend}, lower case: {@code kafka}
   */
  String name();

  /**
   * The full names of the configuration keys this backend reads, e.g. {@code
   * sluice.kinesis.region}. Core reports any other {@code sluice.<name>.*} key as unknown, with a
   * "did you mean" hint, unless {@link #acceptsKey} accepts it.
   *
   * @return the full names of the configuration keys this backend reads
   */
  Set<String> configKeys();

  /**
   * Whether a {@code sluice.<name>.*} key not in {@link #configKeys()} is valid, e.g. because it is
   * passed through to the native client. The default accepts only {@link #configKeys()}.
   *
   * @param key the record's key, or null
   * @return true if a {@code sluice.<name>.*} key not in {@link #configKeys()} is valid
   */
  default boolean acceptsKey(String key) {
    return configKeys().contains(key);
  }

  /**
   * Opens the backend: reads its configuration, creates shared clients.
   *
   * @param context the configuration and registries to open with
   * @return the opened backend
   * @throws RuntimeException for bad configuration (mapped to {@code INVALID_CONFIG} when it is a
   *     {@code SluiceException} already, else translated)
   */
  Backend open(BackendContext context);
}
