package dev.sluice.cli;

import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sluice streams}: list, describe, create, delete, reshard, retention. */
@Command(
    name = "streams",
    mixinStandardHelpOptions = true,
    description = "Lists, describes, creates, deletes and reshards streams.",
    subcommands = {
      StreamsCommand.ListStreams.class,
      StreamsCommand.Describe.class,
      StreamsCommand.Create.class,
      StreamsCommand.Delete.class,
      StreamsCommand.Reshard.class,
      StreamsCommand.Retention.class
    })
final class StreamsCommand implements Runnable {
  @ParentCommand SluiceCli cli;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(),
        "Missing command: list, describe, create, delete, reshard or retention");
  }

  <T> T withAdmin(Function<StreamAdmin, T> action) {
    try (SluiceCli.Session s = cli.open()) {
      return action.apply(s.sluice.admin());
    }
  }

  /** A subcommand of {@code streams}. */
  abstract static class Sub implements Callable<Integer> {
    @ParentCommand StreamsCommand streams;

    SluiceCli cli() {
      return streams.cli;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Prints every stream.")
  static final class ListStreams extends Sub {
    @Override
    public Integer call() {
      streams.withAdmin(StreamAdmin::listStreams).forEach(cli().out::println);
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Prints a stream's retention, cleanup policy and shards with hash ranges.")
  static final class Describe extends Sub {
    @Parameters(index = "0", paramLabel = "STREAM")
    String stream;

    @Override
    public Integer call() {
      StreamDescription d = streams.withAdmin(a -> a.describeStream(stream));
      Duration retention = d.retention();
      cli().out.println("stream     " + d.name());
      cli()
          .out
          .println(
              "retention  "
                  + (retention == null ? "backend default" : Durations.format(retention)));
      cli().out.println("cleanup    " + d.cleanupPolicy());
      cli()
          .out
          .println(
              "shards     " + d.openShards().size() + " open, " + d.shards().size() + " in all");
      cli().out.println();
      Table t = new Table("SHARD", "STATE", "PARENTS", "HASH KEYS");
      for (ShardDescription s : d.shards()) {
        HashKeyRange r = s.hashKeyRange();
        t.row(
            s.shard(),
            s.isOpen() ? "open" : "closed",
            s.parents().isEmpty()
                ? null
                : String.join(",", s.parents().stream().map(Shard::id).toList()),
            r == null ? null : r.start() + ".." + r.end());
      }
      t.print(cli().out);
      return SluiceCli.OK;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a stream.")
  static final class Create extends Sub {
    @Parameters(index = "0", paramLabel = "STREAM")
    String stream;

    @Option(
        names = {"-s", "--shards"},
        paramLabel = "N",
        description = "how many shards (default: ${DEFAULT-VALUE})")
    int shards = 1;

    @Option(
        names = "--retention",
        paramLabel = "DURATION",
        converter = Durations.class,
        description = "how long records are kept (24h, 7d, ...)")
    @Nullable Duration retention;

    @Option(names = "--compact", description = "keep the latest record of every key")
    boolean compact;

    @Override
    public Integer call() {
      StreamSpec spec = StreamSpec.withShards(shards);
      if (retention != null) {
        spec = spec.retention(retention);
      }
      if (compact) {
        spec = spec.cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT);
      }
      StreamSpec s = spec;
      streams.withAdmin(
          a -> {
            a.createStream(stream, s);
            return null;
          });
      cli().out.println("created " + stream + " with " + shards + " shard(s)");
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Deletes a stream and its records.")
  static final class Delete extends Sub {
    @Parameters(index = "0", paramLabel = "STREAM")
    String stream;

    @Override
    public Integer call() {
      streams.withAdmin(
          a -> {
            a.deleteStream(stream);
            return null;
          });
      cli().out.println("deleted " + stream);
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "reshard",
      mixinStandardHelpOptions = true,
      description =
          "Changes the shard count (--shards), splits one shard (--split) or merges two (--merge).")
  static final class Reshard extends Sub {
    @Parameters(index = "0", paramLabel = "STREAM")
    String stream;

    @Option(names = "--shards", paramLabel = "N", description = "the new number of open shards")
    @Nullable Integer shards;

    @Option(names = "--split", paramLabel = "SHARD", description = "split this shard in two")
    @Nullable String split;

    @Option(
        names = "--merge",
        paramLabel = "SHARD,SHARD",
        split = ",",
        description = "merge these two adjacent shards")
    @Nullable List<String> merge;

    @Override
    public Integer call() {
      int given = (shards != null ? 1 : 0) + (split != null ? 1 : 0) + (merge != null ? 1 : 0);
      if (given != 1) {
        throw new picocli.CommandLine.ParameterException(
            streams.spec.commandLine().getSubcommands().get("reshard"),
            "Give exactly one of --shards, --split, --merge");
      }
      if (merge != null && merge.size() != 2) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, "--merge takes two shards: A,B, not " + merge);
      }
      streams.withAdmin(
          a -> {
            if (shards != null) {
              a.setShardCount(stream, shards);
            } else if (split != null) {
              a.splitShard(stream, Shard.of(split));
            } else {
              a.mergeShards(stream, Shard.of(merge.get(0)), Shard.of(merge.get(1)));
            }
            return null;
          });
      cli()
          .out
          .println(
              "resharded "
                  + stream
                  + ": "
                  + streams.withAdmin(a -> a.describeStream(stream)).openShards().size()
                  + " open shard(s)");
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "retention",
      mixinStandardHelpOptions = true,
      description = "Changes how long a stream keeps its records.")
  static final class Retention extends Sub {
    @Parameters(index = "0", paramLabel = "STREAM")
    String stream;

    @Parameters(index = "1", paramLabel = "DURATION", converter = Durations.class)
    Duration retention;

    @Override
    public Integer call() {
      streams.withAdmin(
          a -> {
            a.setRetention(stream, retention);
            return null;
          });
      cli().out.println("retention of " + stream + " is " + Durations.format(retention));
      return SluiceCli.OK;
    }
  }
}
