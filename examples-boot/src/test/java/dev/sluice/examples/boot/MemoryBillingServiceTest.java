package dev.sluice.examples.boot;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;

@DisplayName("The billing service on the memory backend")
class MemoryBillingServiceTest extends BillingServiceContract {
  // Both runs of the service share the JVM's memory backend under this namespace.
  private final String namespace = "billing-" + UUID.randomUUID();

  @Override
  Map<String, String> backendProperties() {
    return Map.of("sluice.backend", "memory", "sluice.memory.namespace", namespace);
  }

  @Override
  String backendName() {
    return "memory";
  }
}
