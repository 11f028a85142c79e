package dev.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Sluice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every example app on the memory backend, and the apps' command lines. */
class ExamplesTest {
  @Nested
  @DisplayName("on the memory backend")
  class OnMemory extends ExampleAppsContract {
    @Override
    protected Sluice openSluice() {
      return Sluice.builder()
          .ignoreEnvironment()
          .backend("memory")
          .set("sluice.memory.namespace", "examples-" + UUID.randomUUID())
          .open();
    }
  }

  @Nested
  @DisplayName("command lines")
  class CommandLines {
    @Test
    @DisplayName("defaults apply when no arguments are given")
    void defaults() {
      BankLedger.Options options = BankLedger.parse().options();
      assertThat(options.accounts()).isEqualTo(20);
      assertThat(options.common().timeout()).isEqualTo(Duration.ofSeconds(120));
      assertThat(options.common().stream()).isNull();
      assertThat(options.common().keep()).isFalse();
    }

    @Test
    @DisplayName("options are read in both --name value and --name=value forms")
    void options() {
      Pipeline.Options options =
          Pipeline.parse(
                  "--events",
                  "10",
                  "--crash-enrich-after=5",
                  "--stream",
                  "orders",
                  "--keep",
                  "--timeout",
                  "2.5")
              .options();
      assertThat(options.events()).isEqualTo(10);
      assertThat(options.crashEnrichAfter()).isEqualTo(5);
      assertThat(options.common())
          .isEqualTo(new CommonOptions("orders", Duration.ofMillis(2500), true));
      assertThat(ActivityTracking.parse("--report-every", "0.5").options().reportEvery())
          .isEqualTo(Duration.ofMillis(500));
    }

    @Test
    @DisplayName("--help prints the usage to stdout and exits 0")
    void help() {
      for (Cli.Parsed<?> parsed :
          new Cli.Parsed<?>[] {
            Quickstart.parse("--help"),
            ActivityTracking.parse("--events", "5", "--help"),
            BankLedger.parse("--help"),
            Pipeline.parse("-h")
          }) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = parsed.printUsage(printStream(stdout), printStream(stderr));

        assertThat(parsed.shouldRun()).isFalse();
        assertThat(code).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8))
            .startsWith("Usage: ")
            .contains("--timeout");
        assertThat(stderr.size()).isZero();
      }
    }

    @Test
    @DisplayName("bad arguments print what is wrong and the usage to stderr and exit 2")
    void badArguments() {
      assertBad(
          BankLedger.parse("--accounts", "many"), "--accounts needs a whole number, not 'many'");
      assertBad(BankLedger.parse("--accounts", "0"), "--accounts must be at least 1, not 0");
      assertBad(BankLedger.parse("--acounts", "3"), "unknown argument '--acounts'");
      assertBad(Pipeline.parse("--crash-enrich-after"), "--crash-enrich-after needs a value (N)");
      assertBad(Quickstart.parse("--keep=yes"), "--keep takes no value");
      assertBad(Quickstart.parse("extra"), "unknown argument 'extra'");
      assertBad(
          ActivityTracking.parse("--timeout", "-1"),
          "--timeout must be a positive number of seconds");
      assertBad(ActivityTracking.parse("--stream", "no spaces"), "--stream must be");
    }

    private void assertBad(Cli.Parsed<?> parsed, String message) {
      ByteArrayOutputStream stdout = new ByteArrayOutputStream();
      ByteArrayOutputStream stderr = new ByteArrayOutputStream();
      int code = parsed.printUsage(printStream(stdout), printStream(stderr));

      assertThat(parsed.shouldRun()).isFalse();
      assertThat(parsed.error()).contains(message);
      assertThat(code).isEqualTo(2);
      assertThat(stdout.size()).isZero();
      assertThat(stderr.toString(StandardCharsets.UTF_8)).contains(message, "Usage: ");
    }

    private PrintStream printStream(ByteArrayOutputStream bytes) {
      return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
  }
}
