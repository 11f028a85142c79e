package dev.sluice.examples;

import dev.sluice.Sluice;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The example apps' command line: {@code --name value} options with defaults, {@code --flag}
 * switches and {@code --help}. It never exits the JVM: {@link #parse} returns the app's options, or
 * the usage to print and the exit code to use, so tests can check bad arguments in-process.
 *
 * <pre>{@code
 * static final Cli CLI = Cli.program("BankLedger", "Moves money between accounts ...")
 *     .option("--accounts", "N", "20", "how many accounts")
 *     .withCommonOptions();
 * Cli.Parsed<Options> parsed = CLI.parse(args, values -> new Options(values.positiveInt("--accounts")));
 * }</pre>
 */
public final class Cli {
  /** Exit code for a run whose verdict is bad, or that failed. */
  public static final int EXIT_FAILED = 1;

  /** Exit code for bad arguments (as most Unix tools use). */
  public static final int EXIT_USAGE = 2;

  private final String program;
  private final String summary;
  private final Map<String, Option> options = new LinkedHashMap<>();

  private record Option(
      String name, @Nullable String valueName, @Nullable String defaultValue, String help) {
    boolean isFlag() {
      return valueName == null;
    }
  }

  private Cli(String program, String summary) {
    this.program = program;
    this.summary = summary;
  }

  /** A command line for the example named {@code program}, described in {@code summary}. */
  public static Cli program(String program, String summary) {
    return new Cli(program, summary);
  }

  /** An option that takes a value; {@code defaultValue} null means "no default, may be absent". */
  public Cli option(
      String name, String valueName, @Nullable String defaultValue, String description) {
    options.put(name, new Option(name, valueName, defaultValue, description));
    return this;
  }

  /** A switch without a value; false unless given. */
  public Cli flag(String name, String description) {
    options.put(name, new Option(name, null, null, description));
    return this;
  }

  /**
   * Adds the options every example app has: {@code --stream}, {@code --timeout}, {@code --keep}.
   */
  public Cli withCommonOptions() {
    return option(
            "--stream",
            "NAME",
            null,
            "stream name to create (default: the app's name plus a unique suffix)")
        .option(
            "--timeout",
            "SECONDS",
            "120",
            "give up waiting after this long (group consumers on Kinesis take 10-30 s to start)")
        .flag("--keep", "keep the streams at the end instead of deleting them");
  }

  /** The usage text {@code --help} prints. */
  public String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: ").append(program).append(" [options]\n");
    sb.append("  ").append(summary).append("\n\nOptions:\n");
    for (Option o : options.values()) {
      String left = o.isFlag() ? o.name() : o.name() + " " + o.valueName();
      sb.append(String.format("  %-24s %s", left, o.help()));
      if (o.defaultValue() != null) {
        sb.append(" (default ").append(o.defaultValue()).append(')');
      }
      sb.append('\n');
    }
    sb.append(String.format("  %-24s %s%n", "--help", "print this help and exit"));
    sb.append(
        "\nThe backend comes from configuration, not from the code:\n"
            + "  -Dsluice.backend=memory|kafka|kinesis or SLUICE_BACKEND=... (memory by default),\n"
            + "  e.g. -Dsluice.kafka.bootstrap.servers=127.0.0.1:9092"
            + " or -Dsluice.kinesis.endpoint=http://127.0.0.1:4567"
            + " -Dsluice.kinesis.dynamodb.endpoint=http://127.0.0.1:8000\n");
    return sb.toString();
  }

  /**
   * Reads {@code args}; on success {@code build} turns the values into the app's options. Never
   * throws for bad input: the result says what was wrong.
   */
  public <T> Parsed<T> parse(String[] args, Function<Values, T> build) {
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        return new Parsed<>(null, usage(), null);
      }
      String name = arg;
      String inlineValue = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        inlineValue = arg.substring(eq + 1);
      }
      Option option = options.get(name);
      if (option == null) {
        return error("unknown argument '" + arg + "'");
      }
      if (option.isFlag()) {
        if (inlineValue != null) {
          return error(name + " takes no value");
        }
        given.put(name, "true");
      } else if (inlineValue != null) {
        given.put(name, inlineValue);
      } else if (i + 1 < args.length) {
        given.put(name, args[++i]);
      } else {
        return error(name + " needs a value (" + option.valueName() + ")");
      }
    }
    try {
      return new Parsed<>(build.apply(new Values(given)), null, null);
    } catch (BadValue e) {
      return error(e.getMessage());
    }
  }

  private <T> Parsed<T> error(String message) {
    return new Parsed<>(null, usage(), program + ": " + message);
  }

  /** The values on a command line, defaults filled in, read by type. */
  public final class Values {
    private final Map<String, String> given;

    private Values(Map<String, String> given) {
      this.given = given;
    }

    /** The option's value or its default; null if it has neither. */
    public @Nullable String string(String name) {
      Option option = Objects.requireNonNull(options.get(name), name);
      return given.getOrDefault(name, option.defaultValue());
    }

    /** The value of an option that takes a whole number of at least 1. */
    public int positiveInt(String name) {
      return intAtLeast(name, 1);
    }

    /** The value of an option that takes a whole number of at least {@code min}. */
    public int intAtLeast(String name, int min) {
      String text = string(name);
      try {
        int value = Integer.parseInt(Objects.requireNonNull(text, name).trim());
        if (value < min) {
          throw new BadValue(name + " must be at least " + min + ", not " + value);
        }
        return value;
      } catch (NumberFormatException e) {
        throw new BadValue(name + " needs a whole number, not '" + text + "'");
      }
    }

    /** The value of an option that takes a positive number of seconds (decimals allowed). */
    public Duration seconds(String name) {
      String text = string(name);
      try {
        double seconds = Double.parseDouble(Objects.requireNonNull(text, name).trim());
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
          throw new BadValue(name + " must be a positive number of seconds, not " + text);
        }
        return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
      } catch (NumberFormatException e) {
        throw new BadValue(name + " needs a number of seconds, not '" + text + "'");
      }
    }

    /** True if the switch was given. */
    public boolean flag(String name) {
      return given.containsKey(name);
    }

    /** The {@code --stream}, {@code --timeout} and {@code --keep} options. */
    public CommonOptions common() {
      String stream = string("--stream");
      if (stream != null && !stream.matches("[A-Za-z0-9._-]{1,100}")) {
        throw new BadValue("--stream must be 1-100 letters, digits, '.', '_' or '-'");
      }
      return new CommonOptions(stream, seconds("--timeout"), flag("--keep"));
    }
  }

  /**
   * The outcome of {@link #parse}: either the options to run with, or a usage text to print (for
   * {@code --help} on stdout with exit code 0; for an error on stderr with exit code 2).
   */
  public static final class Parsed<T> {
    private final @Nullable T options;
    private final @Nullable String usage;
    private final @Nullable String error;

    private Parsed(@Nullable T options, @Nullable String usage, @Nullable String error) {
      this.options = options;
      this.usage = usage;
      this.error = error;
    }

    /** True if the app should run with {@link #options()}. */
    public boolean shouldRun() {
      return options != null;
    }

    /** The options to run with. */
    public T options() {
      if (options == null) {
        throw new IllegalStateException("No options: " + (error != null ? error : "--help"));
      }
      return options;
    }

    /** What was wrong with the arguments, or null. */
    public @Nullable String error() {
      return error;
    }

    /** The usage text, or null when the app should run. */
    public @Nullable String usage() {
      return usage;
    }

    /** 0 after {@code --help}, {@link #EXIT_USAGE} after bad arguments. */
    public int exitCode() {
      return error == null ? 0 : EXIT_USAGE;
    }

    /** Prints the help to {@code out} or the error and usage to {@code err}; the exit code. */
    public int printUsage(PrintStream out, PrintStream err) {
      if (error == null) {
        out.print(usage);
      } else {
        err.println(error);
        err.println();
        err.print(usage);
      }
      return exitCode();
    }
  }

  /** One example app's run: its verdict on {@code sluice}'s backend, progress printed to out. */
  @FunctionalInterface
  public interface App<O> {
    boolean run(Sluice sluice, O options, PrintStream out) throws InterruptedException;
  }

  /**
   * The {@code main} every example shares: print usage (exit 0 for {@code --help}, 2 for bad
   * arguments), or open Sluice from configuration, run the app and exit 0 on a good verdict, 1 on a
   * bad one or a failure (described in one line on stderr). On exit code 0 it just returns: once
   * Sluice is closed, nothing of it keeps the JVM alive, on any backend.
   */
  public static <O> void runMain(String name, Parsed<O> parsed, App<O> app) {
    if (!parsed.shouldRun()) {
      int code = parsed.printUsage(System.out, System.err);
      if (code != 0) {
        System.exit(code);
      }
      return;
    }
    boolean ok;
    try (Sluice sluice = Sluice.open()) {
      ok = app.run(sluice, parsed.options(), System.out);
    } catch (RuntimeException e) {
      System.err.println(name + " failed: " + describe(e));
      ok = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println(name + " was interrupted");
      ok = false;
    }
    if (!ok) {
      System.exit(EXIT_FAILED);
    }
  }

  /** A one-line description of a failure for the console, without wrapper exceptions. */
  public static String describe(Throwable error) {
    Throwable e = error;
    while ((e instanceof java.util.concurrent.CompletionException
            || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e instanceof dev.sluice.SluiceException ? e.getMessage() : e.toString();
  }

  private static final class BadValue extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadValue(String message) {
      super(message);
    }
  }
}
