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
import java.util.Set;
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
            () ->
                Sluice.builder()
                    .ignoreEnvironment()
                    .set("sluice.memory.write.ids", "false")
                    .require(Capability.DEDUPLICATION)
                    .open())
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("DEDUPLICATION")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.UNSUPPORTED);
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .require(Capability.SPLIT_AND_MERGE, Capability.ORDERED_RETRIES)
            .open()) {
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

  // ------------------------------------------------------------- environment variables

  /** Opens Sluice from this environment alone (no system properties, no explicit settings). */
  private static SluiceRuntime openWithEnvironment(Map<String, String> environment) {
    return SluiceRuntime.open(
        new ConfigLoader.Sources(Map.of(), new Properties(), environment, null), null, Set.of());
  }

  @Test
  @DisplayName(
      "SLUICE_ variables that name no Sluice setting and no backend section are not configuration")
  void unrelatedVariablesIgnored() {
    Map<String, String> env =
        Map.of(
            "SLUICE_VERSION", "1.2.3",
            "SLUICE_HOME", "/opt/sluice",
            "SLUICE_MEM_LIMIT", "2g",
            "SLUICE_MEMORY_NAMESPACE", "from-env");
    assertThat(ConfigLoader.resolve(Map.of(), new Properties(), env, null))
        .containsEntry("sluice.memory.namespace", "from-env")
        .doesNotContainKeys("sluice.version", "sluice.home", "sluice.mem.limit");
    SluiceRuntime runtime = openWithEnvironment(env);
    try {
      assertThat(runtime.backendName()).isEqualTo("memory");
    } finally {
      runtime.close();
    }
  }

  @Test
  @DisplayName("a misspelled variable in a backend section is named as the user set it")
  void misspelledSectionVariable() {
    assertThatThrownBy(() -> openWithEnvironment(Map.of("SLUICE_MEMORY_NAMESPCE", "x")))
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("SLUICE_MEMORY_NAMESPCE (sluice.memory.namespce)")
        .hasMessageContaining("did you mean SLUICE_MEMORY_NAMESPACE (sluice.memory.namespace)?")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
  }

  @Test
  @DisplayName("a near miss of a Sluice variable fails with a did-you-mean naming the variable")
  void nearMissVariable() {
    assertThatThrownBy(() -> openWithEnvironment(Map.of("SLUICE_BACKND", "memory")))
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("SLUICE_BACKND")
        .hasMessageContaining("did you mean SLUICE_BACKEND (sluice.backend)?")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
    assertThatThrownBy(
            () -> openWithEnvironment(Map.of("SLUICE_KAFAK_BOOTSTRAP_SERVERS", "127.0.0.1:1")))
        .hasMessageContaining("SLUICE_KAFAK_BOOTSTRAP_SERVERS")
        .hasMessageContaining("did you mean SLUICE_KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  @DisplayName("a bad backend or a bad value set in the environment names the variable")
  void badValueFromEnvironment() {
    assertThatThrownBy(() -> openWithEnvironment(Map.of("SLUICE_BACKEND", "rabbit")))
        .hasMessageContaining("SLUICE_BACKEND (sluice.backend)");
    assertThatThrownBy(() -> openWithEnvironment(Map.of("SLUICE_MEMORY_MAX_RECORD_BYTES", "lots")))
        .hasMessageContaining("SLUICE_MEMORY_MAX_RECORD_BYTES")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
  }

  // ------------------------------------------------------------- what Sluice says when it opens

  @Test
  @DisplayName(
      "the line logged at open names the backend, how it was chosen and the settings, secrets masked")
  void openedLine() {
    ResolvedConfig resolved =
        ConfigLoader.load(
            new ConfigLoader.Sources(
                Map.of(
                    "sluice.kafka.sasl.jaas.config", "org.x required password=\"p4ss\";",
                    "sluice.kafka.ssl.keystore.password", "k3y",
                    "sluice.kinesis.credentials", "static",
                    "sluice.kinesis.secret.access.key", "s3cret",
                    "sluice.kinesis.session.token", "t0ken"),
                new Properties(),
                Map.of(
                    "SLUICE_BACKEND", "kafka",
                    "SLUICE_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                null),
            new ConfigLoader.Known(BackendLoader.CORE_KEYS, ConfigLoader.KNOWN_SECTIONS));

    String line = BackendLoader.openedLine(resolved);

    assertThat(line)
        .startsWith("Sluice opened with backend kafka (named by SLUICE_BACKEND)")
        .contains("sluice.kafka.bootstrap.servers=127.0.0.1:9092 (SLUICE_KAFKA_BOOTSTRAP_SERVERS)")
        .contains("sluice.kafka.sasl.jaas.config=******")
        .contains("sluice.kafka.ssl.keystore.password=******")
        .contains("sluice.kinesis.credentials=static")
        .contains("sluice.kinesis.secret.access.key=******")
        .contains("sluice.kinesis.session.token=******")
        .doesNotContain("p4ss", "k3y", "s3cret", "t0ken");
    assertThat(
            BackendLoader.openedLine(
                ConfigLoader.load(
                    new ConfigLoader.Sources(Map.of(), new Properties(), Map.of(), null),
                    new ConfigLoader.Known(BackendLoader.CORE_KEYS, ConfigLoader.KNOWN_SECTIONS))))
        .isEqualTo(
            "Sluice opened with backend memory (the default: sluice.backend is not set);"
                + " settings: {}");
  }

  @Test
  @DisplayName(
      "memory taken by default is logged at WARN (nothing is persisted); memory named is not")
  void defaultBackendWarns() {
    String byDefault = stderrWhile(() -> Sluice.builder().ignoreEnvironment().open().close());
    String named =
        stderrWhile(() -> Sluice.builder().ignoreEnvironment().backend("memory").open().close());

    assertThat(byDefault)
        .contains("WARN")
        .contains("No backend is named")
        .contains("keeps nothing across restarts")
        .contains("sluice.backend.required=true");
    assertThat(named).doesNotContain("No backend is named");
  }

  @Test
  @DisplayName("sluice.backend.required=true makes a missing backend INVALID_CONFIG")
  void backendRequired() {
    assertThatThrownBy(
            () ->
                Sluice.builder().ignoreEnvironment().set("sluice.backend.required", "true").open())
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("No backend is named")
        .hasMessageContaining("sluice.backend.required")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
    assertThatThrownBy(() -> openWithEnvironment(Map.of("SLUICE_BACKEND_REQUIRED", "true")))
        .hasMessageContaining("SLUICE_BACKEND_REQUIRED (sluice.backend.required)");
    assertThatThrownBy(
            () -> Sluice.builder().ignoreEnvironment().set("sluice.backend.required", "yes").open())
        .hasMessageContaining("Bad value 'yes' for 'sluice.backend.required'")
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(ErrorCode.INVALID_CONFIG);
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .set("sluice.backend.required", "true")
            .backend("memory")
            .open()) {
      assertThat(sluice.backend())
          .as("a backend named, even memory, is enough")
          .isEqualTo("memory");
    }
  }

  @Test
  @DisplayName(
      "a backend whose classes are on the class path but whose service file was lost (a shaded jar)"
          + " is told how to merge service files, not to add the dependency")
  void shadedJarWithoutServiceFile() {
    // Sees core's classes but not its META-INF/services file, as a shaded jar that kept another
    // module's file of the same name would.
    ClassLoader hiding =
        new ClassLoader(SluiceRuntime.class.getClassLoader()) {
          @Override
          public java.util.Enumeration<java.net.URL> getResources(String name)
              throws java.io.IOException {
            return name.startsWith("META-INF/services/")
                ? java.util.Collections.emptyEnumeration()
                : super.getResources(name);
          }
        };
    Map<String, dev.sluice.spi.BackendProvider> found = BackendLoader.providers(hiding);
    assertThat(found).isEmpty();
    ResolvedConfig config =
        ConfigLoader.load(
            new ConfigLoader.Sources(
                Map.of("sluice.backend", "memory"), new Properties(), Map.of(), null),
            new ConfigLoader.Known(BackendLoader.CORE_KEYS, ConfigLoader.KNOWN_SECTIONS));

    String message = BackendLoader.missingBackend("memory", config, found.keySet(), hiding);

    assertThat(message)
        .contains("is on the class path (dev.sluice.memory.MemoryBackendProvider)")
        .contains("META-INF/services/dev.sluice.spi.BackendProvider")
        .contains("ServicesResourceTransformer")
        .doesNotContain("add the dependency");
    assertThat(BackendLoader.missingBackend("kinesis", config, found.keySet(), hiding))
        .as("a backend whose classes are absent: add the dependency")
        .contains("add the dependency dev.sluice:sluice-kinesis");
  }

  /** What is written to System.err (where slf4j-simple logs) while {@code action} runs. */
  private static String stderrWhile(Runnable action) {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
