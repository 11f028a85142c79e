package dev.sluice.spring.boot.autoconfigure;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;

@DisplayName("Spring Boot listeners on the memory backend")
class MemoryListenerTest extends ListenerScenarios {
  private final String namespace = "boot-" + UUID.randomUUID();

  @Override
  Map<String, String> backendProperties() {
    return Map.of("sluice.backend", "memory", "sluice.memory.namespace", namespace);
  }

  @Override
  String backendName() {
    return "memory";
  }
}
