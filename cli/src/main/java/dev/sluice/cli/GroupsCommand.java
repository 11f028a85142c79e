package dev.sluice.cli;

import dev.sluice.GroupAdmin;
import dev.sluice.GroupDescription;
import dev.sluice.ShardProgress;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sluice groups}: list, describe (with lag), reset, delete. */
@Command(
    name = "groups",
    mixinStandardHelpOptions = true,
    description = "Lists, describes, resets and deletes the consumer groups of a stream.",
    subcommands = {
      GroupsCommand.ListGroups.class,
      GroupsCommand.Describe.class,
      GroupsCommand.Reset.class,
      GroupsCommand.Delete.class
    })
final class GroupsCommand implements Runnable {
  @ParentCommand SluiceCli cli;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "Missing command: list, describe, reset or delete");
  }

  <T> T withGroups(Function<GroupAdmin, T> action) {
    try (SluiceCli.Session s = cli.open()) {
      return action.apply(s.sluice.groups());
    }
  }

  /** A subcommand of {@code groups}. */
  abstract static class Sub implements Callable<Integer> {
    @ParentCommand GroupsCommand groups;

    @Parameters(index = "0", paramLabel = "STREAM")
    String stream;
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Prints the groups with checkpoints on, or members reading, STREAM.")
  static final class ListGroups extends Sub {
    @Override
    public Integer call() {
      groups.withGroups(g -> g.listGroups(stream)).forEach(groups.cli.out::println);
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description =
          "Prints a group's members and, per shard, owner, checkpoint, latest position and lag"
              + " (records, and the age of the oldest unread record); '-' where the backend does"
              + " not know.")
  static final class Describe extends Sub {
    @Parameters(index = "1", paramLabel = "GROUP")
    String group;

    @Override
    public Integer call() {
      GroupDescription d = groups.withGroups(g -> g.describeGroup(stream, group));
      var out = groups.cli.out;
      out.println("group    " + d.group());
      out.println("stream   " + d.stream());
      out.println("members  " + (d.members().isEmpty() ? "none" : String.join(", ", d.members())));
      OptionalLong total = d.totalLag();
      out.println(
          "lag      "
              + (total.isPresent()
                  ? total.getAsLong() + (total.getAsLong() == 1 ? " record" : " records")
                  : "-"));
      out.println();
      Table t = new Table("SHARD", "OWNER", "CHECKPOINT", "LATEST", "LAG", "LAG-TIME");
      for (ShardProgress p : d.shards()) {
        t.row(
            p.shard(),
            p.owner().orElse(null),
            p.checkpoint().map(Object::toString).orElse(null),
            p.latest().map(Object::toString).orElse(null),
            p.lagRecords().isPresent() ? Long.toString(p.lagRecords().getAsLong()) : null,
            p.lagTime().map(Durations::human).orElse(null));
      }
      t.print(out);
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "reset",
      mixinStandardHelpOptions = true,
      description =
          "Moves a group's checkpoints; refused while the group has live members (stop them"
              + " first).")
  static final class Reset extends Sub {
    @Parameters(index = "1", paramLabel = "GROUP")
    String group;

    @Option(
        names = "--to",
        required = true,
        paramLabel = "START",
        converter = StartPositions.class,
        description = "where the group starts next: " + StartPositions.HELP)
    dev.sluice.StartPosition to;

    @Override
    public Integer call() {
      groups.withGroups(
          g -> {
            g.resetGroup(stream, group, to);
            return null;
          });
      groups.cli.out.println("reset group " + group + " of " + stream + " to " + to);
      return SluiceCli.OK;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Deletes a group's checkpoints; refused while the group has live members.")
  static final class Delete extends Sub {
    @Parameters(index = "1", paramLabel = "GROUP")
    String group;

    @Override
    public Integer call() {
      groups.withGroups(
          g -> {
            g.deleteGroup(stream, group);
            return null;
          });
      groups.cli.out.println("deleted group " + group + " of " + stream);
      return SluiceCli.OK;
    }
  }
}
