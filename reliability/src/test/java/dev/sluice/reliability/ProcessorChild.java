package dev.sluice.reliability;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** A {@link KillableProcessor} in a JVM of its own, and what it has said on its stdout. */
final class ProcessorChild {
  final Process process;
  final AtomicLong processed = new AtomicLong();
  final AtomicReference<String> assignment = new AtomicReference<>("[]");

  private ProcessorChild(Process process) {
    this.process = process;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  if (line.startsWith("P ")) {
                    processed.set(Long.parseLong(line.substring(2)));
                  } else if (line.startsWith("ASSIGNED ")) {
                    assignment.set(line.substring("ASSIGNED ".length()));
                  }
                }
              } catch (IOException ignored) {
                // The process was killed.
              }
            },
            "processor-child-reader");
    reader.setDaemon(true);
    reader.start();
  }

  boolean ownsShards() {
    return !assignment.get().equals("[]");
  }

  /**
   * Starts a child copying {@code input} to {@code output} in {@code group} under {@code
   * EXACTLY_ONCE}, on the backend {@code settings} name.
   *
   * @param stderr where the child's stderr goes, or null to discard it
   * @param options more of {@link KillableProcessor}'s options, e.g. {@code --commit-interval-ms}
   */
  static ProcessorChild start(
      Map<String, String> settings,
      String input,
      String output,
      String group,
      String maxHeap,
      File stderr,
      String... options)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + maxHeap);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KillableProcessor.class.getName());
    settings.forEach((k, v) -> command.add(k + "=" + v));
    command.add("--input");
    command.add(input);
    command.add("--output");
    command.add(output);
    command.add("--group");
    command.add(group);
    command.addAll(List.of(options));
    ProcessBuilder pb = new ProcessBuilder(command);
    if (stderr == null) {
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    } else {
      pb.redirectError(stderr);
    }
    return new ProcessorChild(pb.start());
  }
}
