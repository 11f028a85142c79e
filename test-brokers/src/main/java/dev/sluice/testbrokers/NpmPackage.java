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
 * An npm package a test server runs under Node, installed once per build directory: the {@code
 * kinesis-local} Kinesis emulator and the {@code dynalite} DynamoDB emulator.
 *
 * <p>A package lands in {@code <root>/target/<name>/<version>/}, where {@code <root>} is the top of
 * the Maven build (system property {@value #ROOT_DIR_PROPERTY}, set by the failsafe configuration),
 * else the nearest ancestor of the working directory whose {@code pom.xml} is the Sluice parent. A
 * package's own system property (for kinesis-local {@code sluice.kinesis.local.dir}) overrides the
 * whole location. Installs go to a temporary sibling directory that is renamed into place, so JVMs
 * that start at once never see a half-installed package; the loser of the race discards its copy.
 */
final class NpmPackage {

  /** The Kinesis emulator (etspaceman's kinesis-mock, MIT). */
  static final NpmPackage KINESIS_LOCAL =
      new NpmPackage("kinesis-local", "0.6.2", "main.js", 18, "sluice.kinesis.local.dir");

  /**
   * The DynamoDB emulator the KCL keeps its leases in (Apache-2.0; needs Node 20, and runs the
   * LevelDB of its {@code --path} mode from the prebuilt binaries its npm package ships).
   */
  static final NpmPackage DYNALITE =
      new NpmPackage("dynalite", "4.0.0", "cli.js", 20, "sluice.dynalite.dir");

  static final String ROOT_DIR_PROPERTY = "sluice.root.dir";

  private static final Logger LOG = LoggerFactory.getLogger(NpmPackage.class);
  private static final Pattern NODE_VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+).*");
  private static final long NPM_TIMEOUT_MINUTES = 5;

  private final String name;
  private final String version;
  private final String entryFile;
  private final int minimumNodeMajor;
  private final String installDirProperty;

  private NpmPackage(
      String name,
      String version,
      String entryFile,
      int minimumNodeMajor,
      String installDirProperty) {
    this.name = name;
    this.version = version;
    this.entryFile = entryFile;
    this.minimumNodeMajor = minimumNodeMajor;
    this.installDirProperty = installDirProperty;
  }

  /** {@code name@version}, as npm spells it. */
  String coordinates() {
    return name + "@" + version;
  }

  /** The file Node runs, relative to {@link #packageDirectory()}. */
  String entryFile() {
    return entryFile;
  }

  /** Fails with a message that says what to install when Node is missing or too old. */
  void requireNode() {
    String printed;
    try {
      printed = run(List.of(nodeExecutable(), "--version"), 30).trim();
    } catch (IOException e) {
      throw new IllegalStateException(nodeMessage("no `node` executable was found on the PATH"), e);
    }
    Matcher matcher = NODE_VERSION.matcher(printed);
    if (!matcher.matches()) {
      throw new IllegalStateException(
          nodeMessage("`node --version` printed '" + printed + "', which is not a version"));
    }
    if (Integer.parseInt(matcher.group(1)) < minimumNodeMajor) {
      throw new IllegalStateException(nodeMessage("found Node " + printed));
    }
  }

  private String nodeMessage(String problem) {
    return "The npm package "
        + coordinates()
        + " (a test server for the Kinesis tests) needs Node.js >= "
        + minimumNodeMajor
        + " with npm on the PATH, but "
        + problem
        + ". Install Node.js "
        + minimumNodeMajor
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

  /** The directory holding {@link #entryFile()}, installing the package first if needed. */
  Path packageDirectory() {
    Path installDir = installDirectory();
    Path packageDir = packageDir(installDir);
    if (Files.isRegularFile(packageDir.resolve(entryFile))) {
      return packageDir;
    }
    install(installDir);
    return packageDir;
  }

  private Path packageDir(Path installDir) {
    return installDir.resolve("node_modules").resolve(name);
  }

  Path installDirectory() {
    String override = System.getProperty(installDirProperty);
    if (override != null && !override.isBlank()) {
      return Paths.get(override).toAbsolutePath();
    }
    return buildRoot().resolve("target").resolve(name).resolve(version);
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

  private void install(Path installDir) {
    Path parent = installDir.toAbsolutePath().getParent();
    Path staging;
    try {
      Files.createDirectories(parent);
      staging = Files.createTempDirectory(parent, ".install-" + version + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a directory under " + parent, e);
    }
    long started = System.nanoTime();
    LOG.info("Installing {} into {} (once per build directory)", coordinates(), installDir);
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
            coordinates());
    try {
      run(command, NPM_TIMEOUT_MINUTES * 60);
      if (!Files.isRegularFile(packageDir(staging).resolve(entryFile))) {
        throw new IllegalStateException(
            "npm reported success but " + packageDir(staging) + " has no " + entryFile);
      }
      moveIntoPlace(staging, installDir);
    } catch (IOException e) {
      throw new IllegalStateException(
          "Installing "
              + coordinates()
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
        "Installed {} in {} ms",
        coordinates(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private void moveIntoPlace(Path staging, Path installDir) throws IOException {
    try {
      Files.move(staging, installDir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // Another JVM renamed its copy into place first; theirs is complete, so use it.
      if (!Files.isRegularFile(packageDir(installDir).resolve(entryFile))) {
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
      paths.sorted(Comparator.reverseOrder()).forEach(NpmPackage::deleteQuietly);
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
