package dev.sluice.testkit;

import dev.sluice.Sluice;
import org.junit.jupiter.api.DisplayName;

/** The memory backend, the reference implementation, passes the whole conformance kit. */
@DisplayName("memory backend conformance")
class MemoryConformanceTest extends SluiceConformanceTest {
  /** Streams of this test class live in their own namespace, apart from other tests in the JVM. */
  private static final String NAMESPACE = "conformance-" + ConformanceHarness.randomSuffix();

  @Override
  protected ConformanceHarness harness() {
    return () ->
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", NAMESPACE);
  }
}
