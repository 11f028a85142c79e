package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sluice produce}: one record per input line. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Sends one record per line of standard input or a file (lines end at \\n; empty lines are"
          + " skipped). Waits until every record is stored; fails if one is not.",
      "JSON lines (-J): {\"key\":\"k\",\"value\":\"v\",\"headers\":{\"n\":\"v\"},"
          + "\"shard\":\"0\",\"timestamp\":\"2026-01-01T00:00:00Z\"}; a null value is a tombstone."
    })
final class ProduceCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand SluiceCli cli;

  @Parameters(index = "0", paramLabel = "STREAM", description = "the stream to write to")
  String stream;

  @Option(
      names = {"-f", "--file"},
      paramLabel = "FILE",
      description = "read this file instead of standard input")
  @Nullable Path file;

  @Option(
      names = {"-K", "--key-delimiter"},
      paramLabel = "DELIM",
      description = "split each line at the first DELIM into key and value (no key without it)")
  @Nullable String keyDelimiter;

  @Option(
      names = {"-H", "--header"},
      paramLabel = "NAME=VALUE",
      description = "add this header to every record (repeatable)")
  List<String> headers = new ArrayList<>();

  @Option(
      names = {"-s", "--shard"},
      paramLabel = "SHARD",
      description = "send every record to this shard instead of routing by key")
  @Nullable String shard;

  @Option(
      names = {"-r", "--rate"},
      paramLabel = "N",
      description = "send at most N records per second")
  double rate;

  @Option(
      names = {"-J", "--json"},
      description = "each line is a JSON object with key, value, headers, shard, timestamp")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (rate < 0) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "--rate must be positive: " + rate);
    }
    List<String[]> fixedHeaders = new ArrayList<>();
    for (String h : headers) {
      int eq = h.indexOf('=');
      if (eq <= 0) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, "A header is NAME=VALUE, not '" + h + "'");
      }
      fixedHeaders.add(new String[] {h.substring(0, eq), h.substring(eq + 1)});
    }
    byte[] delimiter =
        keyDelimiter == null || keyDelimiter.isEmpty()
            ? null
            : keyDelimiter.getBytes(StandardCharsets.UTF_8);
    Progress progress = Progress.forInput(cli.err, file != null, "sent");
    AtomicLong acknowledged = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    BiConsumer<SendResult, Throwable> done =
        (result, error) -> {
          if (error != null) {
            failure.compareAndSet(null, error);
          } else {
            progress.update(acknowledged.incrementAndGet());
          }
        };
    long sent = 0;
    long startNanos = System.nanoTime();
    try (SluiceCli.Session session = cli.open();
        InputStream input = file == null ? cli.in : Files.newInputStream(file);
        Producer<byte[], byte[]> producer = session.sluice.producer(stream)) {
      LineReader lines = new LineReader(input);
      for (byte[] line = lines.next(); line != null; line = lines.next()) {
        if (line.length == 0) {
          continue;
        }
        if (failure.get() != null) {
          break;
        }
        Record<byte[], byte[]> record =
            json ? fromJson(line, fixedHeaders) : fromLine(line, delimiter, fixedHeaders);
        pace(startNanos, sent);
        producer.send(record, done);
        sent++;
      }
      producer.flush();
    }
    progress.finish(acknowledged.get());
    Throwable error = failure.get();
    if (error != null) {
      throw error instanceof SluiceException
          ? (SluiceException) error
          : new SluiceException(ErrorCode.INTERNAL, String.valueOf(error.getMessage()), error);
    }
    if (cli.verbose) {
      cli.err.println("sluice: sent " + acknowledged.get() + " records to " + stream);
    }
    return SluiceCli.OK;
  }

  /** Sleeps as long as sending record {@code n} now would exceed the rate. */
  private void pace(long startNanos, long n) {
    if (rate <= 0) {
      return;
    }
    long due = startNanos + (long) (n * 1_000_000_000L / rate);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SluiceException(ErrorCode.CLOSED, "Interrupted", e);
      }
    }
  }

  private Record<byte[], byte[]> fromLine(
      byte[] line, byte @Nullable [] delimiter, List<String[]> fixedHeaders) {
    byte[] key = null;
    byte[] value = line;
    if (delimiter != null) {
      int at = indexOf(line, delimiter);
      if (at >= 0) {
        key = java.util.Arrays.copyOfRange(line, 0, at);
        value = java.util.Arrays.copyOfRange(line, at + delimiter.length, line.length);
      }
    }
    Record.Builder<byte[], byte[]> b = Record.builder(key, value);
    fixedHeaders.forEach(h -> b.header(h[0], h[1]));
    if (shard != null) {
      b.shard(Shard.of(shard));
    }
    return b.build();
  }

  private Record<byte[], byte[]> fromJson(byte[] line, List<String[]> fixedHeaders)
      throws IOException {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (IOException e) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Not a JSON object: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Each line is a JSON object, not: " + new String(line, StandardCharsets.UTF_8));
    }
    byte[] key = text(node.get("key"));
    byte[] value = text(node.get("value"));
    Record.Builder<byte[], byte[]> b = Record.builder(key, value);
    fixedHeaders.forEach(h -> b.header(h[0], h[1]));
    JsonNode hs = node.get("headers");
    if (hs != null && hs.isObject()) {
      for (Map.Entry<String, JsonNode> h : hs.properties()) {
        b.header(h.getKey(), h.getValue().asText());
      }
    } else if (hs != null && hs.isArray()) {
      for (JsonNode h : hs) {
        b.header(h.path("name").asText(), h.path("value").asText());
      }
    }
    JsonNode s = node.get("shard");
    if (s != null && !s.isNull()) {
      b.shard(Shard.of(s.asText()));
    } else if (shard != null) {
      b.shard(Shard.of(shard));
    }
    JsonNode t = node.get("timestamp");
    if (t != null && !t.isNull()) {
      b.timestamp(t.isNumber() ? Instant.ofEpochMilli(t.asLong()) : Instant.parse(t.asText()));
    }
    return b.build();
  }

  private static byte @Nullable [] text(@Nullable JsonNode node) {
    return node == null || node.isNull() ? null : node.asText().getBytes(StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] line, byte[] delimiter) {
    outer:
    for (int i = 0; i + delimiter.length <= line.length; i++) {
      for (int j = 0; j < delimiter.length; j++) {
        if (line[i + j] != delimiter[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
