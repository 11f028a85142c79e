package dev.sluice.cli;

import java.util.Map;

/** The CLI on the memory backend: its streams live in this JVM, shared by the runs. */
class MemoryCliTest extends CliEndToEnd {
  private static final String NAMESPACE = name("cli-test");

  @Override
  Map<String, String> settings() {
    return Map.of("sluice.backend", "memory", "sluice.memory.namespace", NAMESPACE);
  }

  @Override
  String idle() {
    return "500ms";
  }
}
