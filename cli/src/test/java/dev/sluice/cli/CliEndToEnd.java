package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end on one backend, driven through {@link SluiceCli#run} in this JVM with the
 * backend's settings given as {@code -D} options, as a user types them: produce a file, read it
 * back byte for byte with headers, describe, read in a group, reset the group and read again.
 */
abstract class CliEndToEnd {
  /** The backend's settings, passed as {@code -D key=value}. */
  abstract Map<String, String> settings();

  /** How long a consume waits for its records to stop arriving (-e). */
  String idle() {
    return "2s";
  }

  @TempDir Path dir;

  private final Map<String, String> hidden = new java.util.HashMap<>();

  /**
   * The CLI reads JVM properties as the library does, and the build sets {@code sluice.it.*} ones
   * for its own test switches, which Sluice would refuse as unknown keys: set aside while the CLI
   * runs here, as in a user's JVM, which has none.
   */
  @org.junit.jupiter.api.BeforeEach
  void hideBuildProperties() {
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("sluice.")) {
        hidden.put(key, System.getProperty(key));
        System.clearProperty(key);
      }
    }
  }

  @org.junit.jupiter.api.AfterEach
  void restoreBuildProperties() {
    hidden.forEach(System::setProperty);
    hidden.clear();
  }

  /** What a run printed and returned. */
  record Result(int code, byte[] out, String err) {
    String text() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  Result sluice(String... args) {
    return sluiceWithInput(new byte[0], args);
  }

  Result sluiceWithInput(byte[] input, String... args) {
    List<String> all = new ArrayList<>();
    settings().forEach((k, v) -> all.add("-D" + k + "=" + v));
    all.addAll(Arrays.asList(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    InputStream in = new ByteArrayInputStream(input);
    int code =
        SluiceCli.run(
            all.toArray(String[]::new),
            in,
            new PrintStream(out, true),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  Result ok(String... args) {
    Result r = sluice(args);
    assertThat(r.code()).as("exit code of %s; stderr: %s", Arrays.toString(args), r.err()).isZero();
    return r;
  }

  static String name(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Lines of output, as bytes kept in a string one char per byte, sorted. */
  static List<String> sortedLines(byte[] bytes) {
    String s = new String(bytes, StandardCharsets.ISO_8859_1);
    List<String> lines = new ArrayList<>(Arrays.asList(s.split("\n", -1)));
    assertThat(lines.remove(lines.size() - 1)).as("output ends with a newline").isEmpty();
    lines.sort(null);
    return lines;
  }

  @Test
  void produceAFileConsumeItBackDescribeResetAndReadAgain() throws IOException {
    String stream = name("cli");
    String group = name("g");
    ok("streams", "create", stream, "--shards", "2");
    assertThat(ok("streams", "list").text().lines()).contains(stream);
    assertThat(ok("streams", "describe", stream).text()).contains("2 open").contains("SHARD");

    // Text and bytes that are not UTF-8, a \r and a tab inside the value: all kept as they are.
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      byte[] key = ("key-" + (i % 4)).getBytes(StandardCharsets.UTF_8);
      byte[] value =
          i % 5 == 0
              ? new byte[] {'v', (byte) 0xff, (byte) 0xfe, '\r', (byte) (0x80 + i)}
              : ("värde " + i + "\twith tab").getBytes(StandardCharsets.UTF_8);
      file.write(key);
      file.write('|');
      file.write(value);
      file.write('\n');
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      line.write(key);
      line.write(' ');
      line.write(value);
      line.write(" h1=one,h2=two=2".getBytes(StandardCharsets.UTF_8));
      expected.add(new String(line.toByteArray(), StandardCharsets.ISO_8859_1));
    }
    expected.sort(null);
    Path input = dir.resolve("records.txt");
    Files.write(input, file.toByteArray());

    ok("produce", stream, "-f", input.toString(), "-K", "|", "-H", "h1=one", "-H", "h2=two=2");

    Result all = ok("consume", stream, "-e", "--idle", idle(), "-c", "20", "-f", "%k %v %h\\n");
    assertThat(sortedLines(all.out())).isEqualTo(expected);

    // A group reads everything and checkpoints it: no lag left.
    Result inGroup = ok("consume", stream, "-g", group, "-c", "20", "-f", "%k %v %h\\n");
    assertThat(sortedLines(inGroup.out())).isEqualTo(expected);
    assertThat(ok("groups", "list", stream).text().lines()).contains(group);
    String described = ok("groups", "describe", stream, group).text();
    assertThat(described).contains("group    " + group).contains("members  none");
    assertLagAfterReadingAll(described);

    // Reset to the earliest record: the group reads all of it again.
    ok("groups", "reset", stream, group, "--to", "earliest");
    Result again = ok("consume", stream, "-g", group, "-c", "20", "-f", "%k %v %h\\n");
    assertThat(sortedLines(again.out())).isEqualTo(expected);

    ok("groups", "delete", stream, group);
    assertThat(ok("groups", "list", stream).text().lines()).doesNotContain(group);
    ok("streams", "delete", stream);
  }

  /** Memory and Kafka count the lag in records; Kinesis cannot, and prints '-'. */
  void assertLagAfterReadingAll(String described) {
    assertThat(described).contains("lag      0 records");
  }

  @Test
  void jsonLinesInAndOut() throws IOException {
    String stream = name("cli-json");
    ok("streams", "create", stream, "--shards", "1");
    byte[] lines =
        ("{\"key\":\"a\",\"value\":\"first\",\"headers\":{\"trace\":\"t1\"}}\n"
                + "{\"key\":\"b\",\"value\":\"second\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n")
            .getBytes(StandardCharsets.UTF_8);
    Result produced = sluiceWithInput(lines, "produce", stream, "-J");
    assertThat(produced.code()).as(produced.err()).isZero();

    Result got = ok("consume", stream, "-J", "-c", "2");
    List<JsonNode> records = new ArrayList<>();
    for (String line : got.text().split("\n")) {
      records.add(new ObjectMapper().readTree(line));
    }
    assertThat(records).hasSize(2);
    assertThat(records.get(0).get("key").asText()).isEqualTo("a");
    assertThat(records.get(0).get("value").asText()).isEqualTo("first");
    assertThat(records.get(0).get("headers").get(0).get("name").asText()).isEqualTo("trace");
    assertThat(records.get(0).get("stream").asText()).isEqualTo(stream);
    assertThat(records.get(1).get("timestamp").asLong()).isEqualTo(1767225600000L);

    // From an explicit position: the second record only.
    String shard = records.get(1).get("shard").asText();
    String position = records.get(1).get("position").asText();
    Result fromPosition =
        ok("consume", stream, "-o", shard + "=" + position, "-c", "1", "-f", "%v\\n");
    assertThat(fromPosition.text()).isEqualTo("second\n");
    ok("streams", "delete", stream);
  }

  @Test
  void errorsAreOneLineWithExitCodes() {
    String missing = name("missing");
    Result notFound = sluice("streams", "describe", missing);
    assertThat(notFound.code()).isEqualTo(SluiceCli.FAILED);
    assertThat(notFound.err().lines().filter(l -> l.startsWith("sluice:")))
        .singleElement()
        .satisfies(l -> assertThat(l).contains("[NOT_FOUND]").contains(missing));
    assertThat(notFound.err()).doesNotContain("\tat ");

    Result usage = sluice("consume");
    assertThat(usage.code()).isEqualTo(SluiceCli.USAGE);
    assertThat(usage.err()).contains("Missing required parameter");

    Result badStart = sluice("consume", missing, "-o", "yesterday");
    assertThat(badStart.code()).isEqualTo(SluiceCli.USAGE);
    assertThat(badStart.err()).contains("Not a start position: 'yesterday'");
  }
}
