package dev.sluice.testkit;

import dev.sluice.Sluice;
import org.junit.jupiter.api.DisplayName;

/** The memory backend passes the transactions area of the conformance kit. */
@DisplayName("memory backend transactions")
class MemoryTransactionsTest extends TransactionsConformanceTest {
  private static final String NAMESPACE = "transactions-" + ConformanceHarness.randomSuffix();

  @Override
  protected ConformanceHarness harness() {
    return () ->
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", NAMESPACE);
  }
}
