package dev.sluice.testbrokers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds Node and installs the {@code kinesis-local} npm package once per build directory.
 *
 * <p>The package lands in {@code <root>/target/kinesis-local/<version>/}, where {@code <root>} is
 * the top of the Maven build (system property {@value #ROOT_DIR_PROPERTY}, set by the failsafe
 * configuration), else the nearest ancestor of the working directory whose {@code pom.xml} is the
 * Sluice parent. {@value #INSTALL_DIR_PROPERTY} overrides the whole location. Installs go to a
 * temporary sibling directory that is renamed into place, so JVMs that start at once never see a
 * half-installed package; the loser of the race discards its copy.
 */
final class KinesisLocalPackage {

  static final String VERSION = "0.6.2";
  static final int MINIMUM_NODE_MAJOR = 18;
  static final String ROOT_DIR_PROPERTY = "sluice.root.dir";
  static final String INSTALL_DIR_PROPERTY = "sluice.kinesis.local.dir";

  private static final Logger LOG = LoggerFactory.getLogger(KinesisLocalPackage.class);
  private static final Pattern NODE_VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+).*");
  private static final long NPM_TIMEOUT_MINUTES = 5;

  private KinesisLocalPackage() {}

  /**
   * Fails with a message that says what to install when Node is missing or older than {@value
   * #MINIMUM_NODE_MAJOR}.
   */
  static void requireNode() {
    String version;
    try {
      version = run(List.of(nodeExecutable(), "--version"), 30).trim();
    } catch (IOException e) {
      throw new IllegalStateException(nodeMessage("no `node` executable was found on the PATH"), e);
    }
    Matcher matcher = NODE_VERSION.matcher(version);
    if (!matcher.matches()) {
      throw new IllegalStateException(
          nodeMessage("`node --version` printed '" + version + "', which is not a version"));
    }
    if (Integer.parseInt(matcher.group(1)) < MINIMUM_NODE_MAJOR) {
      throw new IllegalStateException(nodeMessage("found Node " + version));
    }
  }

  private static String nodeMessage(String problem) {
    return "The Kinesis emulator (npm package kinesis-local@"
        + VERSION
        + ") needs Node.js >= "
        + MINIMUM_NODE_MAJOR
        + " with npm on the PATH, but "
        + problem
        + ". Install Node.js "
        + MINIMUM_NODE_MAJOR
        + " or newer (https://nodejs.org), or run the build with -Dsluice.it.kinesis=skip to skip"
        + " the Kinesis integration tests.";
  }

  static String nodeExecutable() {
    return "node";
  }

  private static String npmExecutable() {
    return isWindows() ? "npm.cmd" : "npm";
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
  }

  /** The directory holding {@code main.js}, installing the package first if needed. */
  static Path packageDirectory() {
    Path installDir = installDirectory();
    Path packageDir = packageDir(installDir);
    if (Files.isRegularFile(packageDir.resolve("main.js"))) {
      return packageDir;
    }
    install(installDir);
    return packageDir;
  }

  private static Path packageDir(Path installDir) {
    return installDir.resolve("node_modules").resolve("kinesis-local");
  }

  static Path installDirectory() {
    String override = System.getProperty(INSTALL_DIR_PROPERTY);
    if (override != null && !override.isBlank()) {
      return Paths.get(override).toAbsolutePath();
    }
    return buildRoot().resolve("target").resolve("kinesis-local").resolve(VERSION);
  }

  private static Path buildRoot() {
    String property = System.getProperty(ROOT_DIR_PROPERTY);
    if (property != null && !property.isBlank() && !property.contains("${")) {
      return Paths.get(property).toAbsolutePath();
    }
    Path start = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (isSluiceParent(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    return start;
  }

  private static boolean isSluiceParent(Path pom) {
    if (!Files.isRegularFile(pom)) {
      return false;
    }
    try {
      String text = Files.readString(pom, StandardCharsets.UTF_8);
      // Module poms name sluice-parent too, but inside their <parent> element.
      return text.contains("<artifactId>sluice-parent</artifactId>") && !text.contains("<parent>");
    } catch (IOException e) {
      return false;
    }
  }

  private static void install(Path installDir) {
    Path parent = installDir.toAbsolutePath().getParent();
    Path staging;
    try {
      Files.createDirectories(parent);
      staging = Files.createTempDirectory(parent, ".install-" + VERSION + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a directory under " + parent, e);
    }
    long started = System.nanoTime();
    LOG.info("Installing kinesis-local@{} into {} (once per build directory)", VERSION, installDir);
    List<String> command =
        List.of(
            npmExecutable(),
            "install",
            "--prefix",
            staging.toString(),
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
            "--loglevel=error",
            "kinesis-local@" + VERSION);
    try {
      run(command, NPM_TIMEOUT_MINUTES * 60);
      if (!Files.isRegularFile(packageDir(staging).resolve("main.js"))) {
        throw new IllegalStateException(
            "npm reported success but " + packageDir(staging) + " has no main.js");
      }
      moveIntoPlace(staging, installDir);
    } catch (IOException e) {
      throw new IllegalStateException(
          "Installing kinesis-local@"
              + VERSION
              + " with `"
              + String.join(" ", command)
              + "` failed: "
              + e.getMessage()
              + ". The npm registry must be reachable on the first run.",
          e);
    } finally {
      deleteRecursively(staging);
    }
    LOG.info(
        "Installed kinesis-local@{} in {} ms",
        VERSION,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private static void moveIntoPlace(Path staging, Path installDir) throws IOException {
    try {
      Files.move(staging, installDir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // Another JVM renamed its copy into place first; theirs is complete, so use it.
      if (!Files.isRegularFile(packageDir(installDir).resolve("main.js"))) {
        throw e;
      }
    }
  }

  /** Runs a short command, returns its combined output, and fails on a non-zero exit. */
  private static String run(List<String> command, long timeoutSeconds) throws IOException {
    Path output = Files.createTempFile("sluice-cmd-", ".log");
    try {
      Process process =
          new ProcessBuilder(new ArrayList<>(command))
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      boolean exited;
      try {
        exited = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("Interrupted while running " + command, e);
      }
      String text = Files.readString(output, StandardCharsets.UTF_8);
      if (!exited) {
        process.destroyForcibly();
        throw new IOException("timed out after " + timeoutSeconds + " s; output:\n" + text);
      }
      if (process.exitValue() != 0) {
        throw new IOException("exit code " + process.exitValue() + "; output:\n" + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static void deleteRecursively(@Nullable Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(KinesisLocalPackage::deleteQuietly);
    } catch (IOException e) {
      LOG.debug("Could not clean up {}", dir, e);
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.debug("Could not delete {}", path, e);
    }
  }
}
