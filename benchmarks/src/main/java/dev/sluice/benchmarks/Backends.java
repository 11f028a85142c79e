package dev.sluice.benchmarks;

import dev.sluice.spi.BackendProvider;
import java.util.ServiceLoader;

/** Which Sluice backends are on the class path (the adapters may not be built yet). */
final class Backends {
  private Backends() {}

  static boolean available(String name) {
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      if (p.name().equals(name)) {
        return true;
      }
    }
    return false;
  }
}
