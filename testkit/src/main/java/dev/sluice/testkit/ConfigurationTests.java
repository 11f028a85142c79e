package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Opening Sluice: required capabilities, unknown backends, misspelled keys. */
abstract class ConfigurationTests extends ConformanceArea {
  @Test
  @DisplayName("requiring a capability the backend lacks fails at open with UNSUPPORTED")
  void requireMissingCapability() {
    Set<Capability> missing = EnumSet.allOf(Capability.class);
    missing.removeAll(caps().features());
    Assumptions.assumeFalse(
        missing.isEmpty(), backend() + " supports every Capability, so none can be missing");

    SluiceException e =
        thrown(() -> harnessNow().builder().require(missing.toArray(new Capability[0])).open());

    assertThat(e)
        .hasCode(ErrorCode.UNSUPPORTED)
        .hasMessageContaining(missing.iterator().next().name());
  }

  @Test
  @DisplayName("requiring the capabilities the backend declares opens normally")
  void requireSupportedCapabilities() {
    Sluice s =
        track(harnessNow().builder().require(caps().features().toArray(new Capability[0])).open());

    assertThat(s.capabilities().features()).isEqualTo(caps().features());
    assertThat(s.backend()).isEqualTo(backend());
  }

  @Test
  @DisplayName("an unknown backend fails with INVALID_CONFIG naming the backends found")
  void unknownBackend() {
    SluiceException e =
        thrown(() -> Sluice.builder().ignoreEnvironment().backend("no-such-backend").open());

    assertThat(e)
        .hasCode(ErrorCode.INVALID_CONFIG)
        .hasMessageContaining("no-such-backend")
        .hasMessageContaining(backend());
  }

  @Test
  @DisplayName("a misspelled key fails with INVALID_CONFIG and a \"did you mean\" hint")
  void misspelledKey() {
    SluiceException e = thrown(() -> harnessNow().builder().set("sluice.backnd", backend()).open());

    assertThat(e)
        .hasCode(ErrorCode.INVALID_CONFIG)
        .hasMessageContaining("sluice.backnd")
        .hasMessageContaining("did you mean")
        .hasMessageContaining("sluice.backend");
  }

  @Test
  @DisplayName("the declared capabilities are consistent")
  void capabilitiesConsistent() {
    Capabilities c = caps();

    assertThat(c.maxRecordBytes()).isPositive();
    assertThat(c.maxKeyBytes()).isPositive();
    assertThat(c.maxHeaders()).isPositive();
    assertThat(c.maxHeaderNameBytes()).isPositive();
    if (c.minRetention() != null && c.maxRetention() != null) {
      assertThat(c.minRetention()).isLessThanOrEqualTo(c.maxRetention());
    }
    assertThat(c.supports(Capability.UNLIMITED_RETENTION))
        .as("UNLIMITED_RETENTION iff no maxRetention")
        .isEqualTo(c.maxRetention() == null);
    assertThat(c.nativeHeaders()).isEqualTo(c.supports(Capability.NATIVE_HEADERS));
    assertThat(c.canShrinkShards()).isEqualTo(c.supports(Capability.SHRINK_SHARDS));
  }
}
