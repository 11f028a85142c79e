package dev.sluice.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A service using a Kinesis group consumer, in a JVM of its own, closing cleanly. */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Closing a Kinesis group consumer in a JVM of its own")
class KinesisCloseIT {

  @Test
  @DisplayName(
      "the JVM exits by itself within 10 s of Sluice.close(), and the close logs no stack trace")
  void jvmExitsByItselfAndLogsNoStackTrace(KinesisEmulator kinesis, DynamoDbEmulator dynamo)
      throws Exception {
    String stream = "it-close-" + UUID.randomUUID().toString().substring(0, 8);
    String group = "it-close-group-" + UUID.randomUUID().toString().substring(0, 8);
    try (Sluice admin = KinesisTestBrokers.builder(kinesis, dynamo).open()) {
      admin.admin().createStream(stream, StreamSpec.withShards(2));
    }
    Path stderr = Files.createTempFile("sluice-close-", ".stderr");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    // Warnings and errors, as the examples log. (At INFO the DynamoDB lock client under the KCL's
    // leader election logs, on every close, its heartbeat thread's exit with the
    // InterruptedException that ends it; and the KCL logs lease-table contention at start-up.)
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(GroupMemberThatCloses.class.getName());
    KinesisTestBrokers.config(kinesis, dynamo).forEach((k, v) -> command.add(k + "=" + v));
    command.add("--stream");
    command.add(stream);
    command.add("--group");
    command.add(group);
    Process child =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
            .start();
    List<String> out = new CopyOnWriteArrayList<>();
    long[] closedAt = {0};
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  if (line.startsWith("CLOSED")) {
                    closedAt[0] = System.nanoTime();
                  }
                  out.add(line);
                }
              } catch (java.io.IOException e) {
                out.add("(stdout unreadable: " + e + ")");
              }
            },
            "child-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      boolean exited = child.waitFor(150, TimeUnit.SECONDS);
      reader.join(5_000);
      assertThat(out).as("the child's stdout").contains("RECEIVED");
      assertThat(out.stream().anyMatch(l -> l.startsWith("CLOSED")))
          .as("the child closed Sluice; its stdout: %s", out)
          .isTrue();
      assertThat(exited)
          .as(
              "the child JVM exited by itself after close (threads keeping it alive: %s)",
              out.stream().filter(l -> l.startsWith("ALIVE")).collect(Collectors.toList()))
          .isTrue();
      long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt[0]);
      System.out.printf("child JVM: %s, exited %d ms after close returned%n", out, exitMillis);
      assertThat(exitMillis).as("ms from close to the JVM's exit").isLessThan(10_000);
      assertThat(child.exitValue()).isZero();
      List<String> log = Files.readAllLines(stderr, StandardCharsets.UTF_8);
      assertThat(
              log.stream()
                  .filter(l -> l.contains("Exception") || l.startsWith("\tat "))
                  .collect(Collectors.toList()))
          .as("stack traces and exceptions in the child's log (whole log: %s)", stderr)
          .isEmpty();
    } finally {
      child.destroyForcibly();
    }
  }
}
