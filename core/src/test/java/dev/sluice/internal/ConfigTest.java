package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @Test
  @DisplayName(
      "explicit settings beat system properties, which beat the environment, which beats the file")
  void precedence(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sluice.properties");
    Files.writeString(
        file,
        "sluice.memory.namespace=from-file\nsluice.memory.max.key.bytes=1\nsluice.memory.max.record.bytes=7\n");
    Properties system = new Properties();
    system.setProperty("sluice.memory.max.key.bytes", "2");
    system.setProperty("sluice.memory.namespace", "from-system");
    system.setProperty("java.home", "ignored: not a sluice key");
    Map<String, String> env =
        Map.of(
            "SLUICE_MEMORY_NAMESPACE", "from-env",
            "SLUICE_MEMORY_MAX_RECORD_BYTES", "8",
            "PATH", "/usr/bin");
    Map<String, String> merged =
        ConfigLoader.resolve(Map.of("sluice.memory.namespace", "explicit"), system, env, file);
    assertThat(merged)
        .containsEntry("sluice.backend", "memory")
        .containsEntry("sluice.memory.namespace", "explicit")
        .containsEntry("sluice.memory.max.key.bytes", "2")
        .containsEntry("sluice.memory.max.record.bytes", "8")
        .doesNotContainKey("java.home")
        .doesNotContainKey("path");
  }

  @Test
  @DisplayName("the file named by sluice.config.file in the environment is read")
  void fileFromEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(file, "sluice.backend=MEMORY\n");
    Map<String, String> merged =
        ConfigLoader.resolve(
            Map.of(), new Properties(), Map.of("SLUICE_CONFIG_FILE", file.toString()), null);
    assertThat(merged).containsEntry("sluice.backend", "memory");
  }

  @Test
  @DisplayName("a misspelled key fails with a did-you-mean hint")
  void misspelledKey() {
    assertThatThrownBy(
            () -> Sluice.builder().ignoreEnvironment().set("sluice.backnd", "memory").open())
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("sluice.backnd")
        .hasMessageContaining("did you mean 'sluice.backend'")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
    assertThatThrownBy(
            () -> Sluice.builder().ignoreEnvironment().set("sluice.memory.namespce", "x").open())
        .hasMessageContaining("did you mean 'sluice.memory.namespace'");
  }

  @Test
  @DisplayName("an unknown backend names the backends on the class path")
  void unknownBackend() {
    assertThatThrownBy(() -> Sluice.builder().ignoreEnvironment().backend("rabbit").open())
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("Unknown backend 'rabbit'")
        .hasMessageContaining("[memory")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
  }

  @Test
  @DisplayName("a known backend missing from the class path names the artifact to add")
  void missingBackend() {
    assertThatThrownBy(() -> Sluice.builder().ignoreEnvironment().backend("kinesis").open())
        .hasMessageContaining("dev.sluice:sluice-kinesis");
  }

  @Test
  @DisplayName("a bad value and a key outside sluice.* are INVALID_CONFIG")
  void badValues() {
    assertThatThrownBy(
            () ->
                Sluice.builder()
                    .ignoreEnvironment()
                    .set("sluice.memory.max.record.bytes", "lots")
                    .open())
        .hasMessageContaining("sluice.memory.max.record.bytes")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
    assertThatThrownBy(
            () -> Sluice.builder().ignoreEnvironment().set("bootstrap.servers", "x").open())
        .hasMessageContaining("does not start with 'sluice.'");
  }

  @Test
  @DisplayName("requiring a capability the backend lacks fails at open with UNSUPPORTED")
  void requireCapability() {
    assertThatThrownBy(
            () -> Sluice.builder().ignoreEnvironment().require(Capability.TRANSACTIONS).open())
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("TRANSACTIONS")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.UNSUPPORTED);
    try (Sluice sluice =
        Sluice.builder().ignoreEnvironment().require(Capability.SPLIT_AND_MERGE).open()) {
      assertThat(sluice.backend()).isEqualTo("memory");
    }
  }

  @Test
  @DisplayName("secrets are masked in the configuration Sluice reports")
  void masking() {
    assertThat(ConfigLoader.mask("sluice.kafka.sasl.jaas.config", "user=x password=y"))
        .isEqualTo("******");
    assertThat(ConfigLoader.mask("sluice.kinesis.secret.access.key", "abc")).isEqualTo("******");
    assertThat(ConfigLoader.mask("sluice.kinesis.region", "us-east-1")).isEqualTo("us-east-1");
  }
}
