package dev.sluice.testkit;

import dev.sluice.Sluice;
import org.junit.jupiter.api.DisplayName;

/** The memory backend passes the processor area of the conformance kit. */
@DisplayName("memory backend processor")
class MemoryProcessorTest extends ProcessorConformanceTest {
  private static final String NAMESPACE = "processor-" + ConformanceHarness.randomSuffix();

  @Override
  protected ConformanceHarness harness() {
    return () ->
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", NAMESPACE);
  }
}
