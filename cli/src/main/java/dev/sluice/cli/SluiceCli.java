package dev.sluice.cli;

import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code sluice} command: look at, feed and repair streams and consumer groups on any backend,
 * configured exactly as the library is ({@code --backend}, {@code -D key=value}, {@code --config
 * FILE}, {@code SLUICE_*} environment variables, {@code -Dsluice.*} JVM properties).
 *
 * <p>Exit codes: 0 done, 1 the operation failed (one line on stderr: {@code sluice: [CODE]
 * message}; the stack trace too with {@code --verbose}), 2 bad usage.
 */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    versionProvider = SluiceCli.Version.class,
    description = "Produce, consume and administer streams on Kafka, Kinesis or memory.",
    subcommands = {
      ProduceCommand.class,
      ConsumeCommand.class,
      StreamsCommand.class,
      GroupsCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:the operation failed", "2:bad usage"},
    footerHeading = "%nConfiguration:%n",
    footer = {
      "  Read as the library reads them, first found wins: -D and --backend, JVM properties",
      "  (-Dsluice.*), SLUICE_* environment variables, the --config file (or the one",
      "  sluice.config.file names), defaults (the memory backend). For example:",
      "  sluice --backend kafka -D sluice.kafka.bootstrap.servers=HOST:PORT streams list"
    })
public final class SluiceCli implements Runnable {
  /** Exit code: done. */
  public static final int OK = 0;

  /** Exit code: the operation failed. */
  public static final int FAILED = 1;

  /** Exit code: bad usage. */
  public static final int USAGE = 2;

  @Option(
      names = "--backend",
      scope = ScopeType.INHERIT,
      paramLabel = "NAME",
      description = "memory, kafka or kinesis (sluice.backend)")
  @Nullable String backend;

  @Option(
      names = "-D",
      scope = ScopeType.INHERIT,
      paramLabel = "KEY=VALUE",
      description = "a setting, e.g. -D sluice.kafka.bootstrap.servers=127.0.0.1:9092")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(
      names = "--config",
      scope = ScopeType.INHERIT,
      paramLabel = "FILE",
      description = "a properties file of settings (below -D, the JVM and the environment)")
  @Nullable Path config;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "log what Sluice does, and print stack traces of errors")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  final InputStream in;
  final PrintStream out;
  final PrintStream err;
  private final @Nullable Sluice shared;

  private SluiceCli(InputStream in, PrintStream out, PrintStream err, @Nullable Sluice shared) {
    this.in = in;
    this.out = out;
    this.err = err;
    this.shared = shared;
  }

  /**
   * Runs the command and exits the JVM with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /**
   * Runs the command in this JVM, without exiting it.
   *
   * @param args the command line
   * @param in standard input
   * @param out standard output
   * @param err standard error
   * @return the exit code
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return run(args, in, out, err, null);
  }

  /**
   * Runs the command in this JVM on an open Sluice, which it does not close (tests of the memory
   * backend, whose streams live in the JVM, and applications that embed the commands).
   *
   * @param args the command line
   * @param in standard input
   * @param out standard output
   * @param err standard error
   * @param sluice the Sluice to use instead of opening one from the settings, or null
   * @return the exit code
   */
  public static int run(
      String[] args, InputStream in, PrintStream out, PrintStream err, @Nullable Sluice sluice) {
    quietLogging(args);
    SluiceCli cli = new SluiceCli(in, out, err, sluice);
    CommandLine cmd = new CommandLine(cli);
    cmd.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
    cmd.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          cli.report(e);
          return FAILED;
        });
    int code = cmd.execute(args);
    out.flush();
    return code;
  }

  /** Prints the usage of {@code sluice} itself when no command is given. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing command: produce, consume, streams or groups");
  }

  /** One line for an error, unless --verbose asks for the stack trace. */
  void report(Exception e) {
    String message = e.getClass().getSimpleName() + ": " + e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SluiceException) {
        message = t.getMessage(); // "[CODE] message"
        break;
      }
    }
    err.println("sluice: " + message);
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
  }

  /**
   * The Sluice to work on: the one given to {@link #run(String[], InputStream, PrintStream,
   * PrintStream, Sluice)}, else opened from the settings (the caller closes it through {@link
   * Session}).
   */
  Session open() {
    if (shared != null) {
      return new Session(shared, false);
    }
    Sluice.Builder b = Sluice.builder();
    if (config != null) {
      b.propertiesFile(config);
    }
    settings.forEach(b::set);
    if (backend != null) {
      b.backend(backend);
    }
    return new Session(b.open(), true);
  }

  /** A Sluice for one command, closed after it if the command opened it. */
  static final class Session implements AutoCloseable {
    final Sluice sluice;
    private final boolean owned;

    Session(Sluice sluice, boolean owned) {
      this.sluice = sluice;
      this.owned = owned;
    }

    @Override
    public void close() {
      if (owned) {
        sluice.close();
      }
    }
  }

  /**
   * Logs warnings only (Sluice's INFO line and the KCL's chatter would drown the output), unless
   * --verbose; set before the first logger is made, so only the first run in a JVM decides.
   */
  private static void quietLogging(String[] args) {
    boolean verbose = false;
    for (String a : args) {
      verbose |= a.equals("-v") || a.equals("--verbose");
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
    }
    if (!verbose) {
      System.setProperty("org.slf4j.simpleLogger.log.software.amazon", "error");
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    }
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = SluiceCli.class.getPackage().getImplementationVersion();
      return new String[] {"sluice " + (v == null ? "(development build)" : v)};
    }
  }
}
