package dev.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Sluice;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's Java samples compile as printed. A sample is checked when an HTML comment {@code <!--
 * compiles -->} stands right before its {@code ```java} block. The block is compiled against
 * Sluice's classes like this:
 *
 * <ul>
 *   <li>its {@code import} lines stay at the top of the file; a block with none is a fragment and
 *       gets {@code import dev.sluice.*;} and {@code import java.time.*;} (the context the README
 *       describes around it);
 *   <li>the other lines become the body of a method ({@code throws Exception});
 *   <li>what the sample leaves to the reader (the application's own methods and objects) is
 *       declared after {@code given:} in the comment, as members of the class around that method:
 *       {@code <!-- compiles; given: void bill(String customer, String order) {} -->}.
 * </ul>
 *
 * <p>So a reader who copies a block with its imports into a method of their own gets no error but
 * for what the sample says is theirs.
 */
class ReadmeCodeTest {
  private static final Pattern SAMPLE =
      Pattern.compile(
          "<!-- compiles(?:;\\s*given:(?<given>.*?))?\\s*-->\\s*\\n```java\\n(?<code>.*?)\\n```",
          Pattern.DOTALL);

  @Test
  @DisplayName("every README sample marked <!-- compiles --> compiles against Sluice's classes")
  void samplesCompile(@TempDir Path out) throws IOException {
    String readme = Files.readString(readme(), StandardCharsets.UTF_8);
    List<JavaFileObject> sources = new ArrayList<>();
    Matcher m = SAMPLE.matcher(readme);
    while (m.find()) {
      int line = (int) readme.substring(0, m.start("code")).lines().count() + 1;
      sources.add(wrap("ReadmeSample" + line, m.group("code"), m.group("given")));
    }
    assertThat(sources)
        .as("samples marked <!-- compiles --> (the 20-line sample and the Production one)")
        .hasSizeGreaterThanOrEqualTo(2);

    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files =
        compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      List<String> options =
          List.of("-classpath", classPath(), "-d", out.toString(), "-proc:none", "-Xlint:none");
      boolean ok = compiler.getTask(null, files, diagnostics, options, null, sources).call();
      String errors =
          diagnostics.getDiagnostics().stream()
              .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
              .map(ReadmeCodeTest::describe)
              .collect(Collectors.joining("\n"));
      assertThat(errors).as("compiler errors in README samples").isEmpty();
      assertThat(ok).isTrue();
    }
  }

  /** A compilation unit for one sample, following the convention in the class comment. */
  private static JavaFileObject wrap(String className, String code, String given) {
    StringBuilder imports = new StringBuilder();
    StringBuilder body = new StringBuilder();
    for (String line : code.split("\n", -1)) {
      (line.startsWith("import ") ? imports : body).append(line).append('\n');
    }
    if (imports.length() == 0) {
      imports.append("import dev.sluice.*;\nimport java.time.*;\n");
    }
    String source =
        imports
            + "\nclass "
            + className
            + " {\n"
            + (given == null ? "" : given.trim() + "\n")
            + "void sample() throws Exception {\n"
            + body
            + "}\n}\n";
    return new SimpleJavaFileObject(
        java.net.URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return source;
      }

      @Override
      public String toString() {
        return source;
      }
    };
  }

  private static String describe(Diagnostic<? extends JavaFileObject> d) {
    JavaFileObject source = d.getSource();
    String code = source == null ? "" : source.toString();
    String line = "";
    if (source != null && d.getLineNumber() > 0) {
      line = code.lines().skip(d.getLineNumber() - 1).findFirst().orElse("");
    }
    return (source == null ? "" : source.getName())
        + ":"
        + d.getLineNumber()
        + ": "
        + d.getMessage(Locale.ROOT)
        + "\n    "
        + line.trim();
  }

  /**
   * Sluice's core and what its public API names (Micrometer's registries), found from the classes
   * themselves: under Surefire, {@code java.class.path} may be a single manifest-only jar.
   */
  private static String classPath() {
    List<String> entries = new ArrayList<>();
    for (Class<?> c : List.of(Sluice.class, MeterRegistry.class, ObservationRegistry.class)) {
      try {
        entries.add(
            Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
    return String.join(java.io.File.pathSeparator, entries);
  }

  /** README.md at the root of the repository (tests run in the module's folder). */
  private static Path readme() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("README.md"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("a folder above the working directory with README.md").isNotNull();
    return dir.resolve("README.md");
  }
}
