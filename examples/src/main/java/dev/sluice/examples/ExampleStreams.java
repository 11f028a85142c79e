package dev.sluice.examples;

import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The streams of one run of an example app: created with unique names (or the {@code --stream}
 * name), deleted when closed unless {@code --keep} was given. Close it after the producers and
 * consumers that use the streams.
 */
final class ExampleStreams implements AutoCloseable {
  private final Sluice sluice;
  private final String baseName;
  private final String runId;
  private final CommonOptions options;
  private final PrintStream out;
  private final List<String> created = new ArrayList<>();

  private ExampleStreams(Sluice sluice, String app, CommonOptions options, PrintStream out) {
    this.sluice = sluice;
    this.runId = UUID.randomUUID().toString().substring(0, 8);
    this.baseName = options.stream() != null ? options.stream() : app + "-" + runId;
    this.options = options;
    this.out = out;
  }

  /** Streams for the app named {@code app} (used in generated names). */
  static ExampleStreams forApp(Sluice sluice, String app, CommonOptions options, PrintStream out) {
    return new ExampleStreams(sluice, app, options, out);
  }

  /** A short id unique to this run, for consumer group names. */
  String runId() {
    return runId;
  }

  /** Creates the app's stream: the {@code --stream} name, or the app's name plus the run id. */
  String create(StreamSpec spec) {
    return createNamed(baseName, spec);
  }

  /** Creates one of several streams of the app: the base name plus {@code "-" + role}. */
  String create(String role, StreamSpec spec) {
    return createNamed(baseName + "-" + role, spec);
  }

  private String createNamed(String name, StreamSpec spec) {
    try {
      sluice.admin().createStream(name, spec);
    } catch (SluiceException e) {
      if (e.code() == ErrorCode.ALREADY_EXISTS) {
        // Old records would distort the verdict: refuse rather than read them.
        throw new IllegalStateException(
            "Stream " + name + " already exists: pass another --stream name or delete it", e);
      }
      throw e;
    }
    created.add(name);
    out.println("Created stream " + name + " with " + spec.shards() + " shards");
    return name;
  }

  /** Deletes the streams this run created, unless {@code --keep} was given. */
  @Override
  public void close() {
    for (String name : created) {
      if (options.keep()) {
        out.println("Kept stream " + name);
        continue;
      }
      try {
        sluice.admin().deleteStream(name);
        out.println("Deleted stream " + name);
      } catch (SluiceException e) {
        out.println("Could not delete stream " + name + ": " + e.getMessage());
      }
    }
  }
}
