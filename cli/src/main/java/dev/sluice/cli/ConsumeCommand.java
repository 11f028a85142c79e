package dev.sluice.cli;

import dev.sluice.CheckpointMode;
import dev.sluice.ConsumerBuilder;
import dev.sluice.ErrorCode;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sluice consume}: prints records as they arrive. */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the records of a stream, standalone (every shard) or as a member of a group (-g:"
          + " shards shared, each printed record checkpointed).",
      "Format (-f) fields: %%k key, %%v value, %%h headers (name=value,...), %%s shard, %%p"
          + " position, %%T timestamp ms, %%t stream, %%K key length, %%S value length, %%%% percent;"
          + " escapes \\n \\t \\r \\\\."
    })
final class ConsumeCommand implements Callable<Integer> {
  @ParentCommand SluiceCli cli;

  @Parameters(index = "0", paramLabel = "STREAM", description = "the stream to read")
  String stream;

  @Option(
      names = {"-o", "--from"},
      paramLabel = "START",
      converter = StartPositions.class,
      description =
          "where to start without a checkpoint: earliest (default), latest, an instant"
              + " (2026-01-01T00:00:00Z) or @MILLIS, or SHARD=POSITION[,SHARD=POSITION...]"
              + " (those records first, other shards from the earliest)")
  StartPosition from = StartPosition.earliest();

  @Option(
      names = {"-g", "--group"},
      paramLabel = "GROUP",
      description = "consume as a member of this group")
  @Nullable String group;

  @Option(
      names = {"-c", "--count"},
      paramLabel = "N",
      description = "exit after N records")
  long count = -1;

  @Option(
      names = {"-e", "--exit"},
      description = "exit at the end: when no record arrived for --idle once reading")
  boolean exitAtEnd;

  @Option(
      names = "--idle",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "with -e: how long without a record is the end (default: 3s)")
  Duration idle = Duration.ofSeconds(3);

  @Option(
      names = {"-f", "--format"},
      paramLabel = "FORMAT",
      description = "print each record so (default: '%%v\\n')")
  String format = "%v\\n";

  @Option(
      names = {"-J", "--json"},
      description = "print each record as a JSON object on a line of its own")
  boolean json;

  @Override
  public Integer call() throws IOException {
    RecordFormat out = json ? RecordFormat.json() : RecordFormat.parse(format);
    if (count == 0) {
      return SluiceCli.OK;
    }
    if (idle.isNegative() || idle.isZero()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "--idle must be positive: " + idle);
    }
    Progress progress = Progress.forInput(cli.err, count > 0, "received");
    long printed = 0;
    OutputStream sink = new BufferedOutputStream(cli.out, 64 * 1024);
    try (SluiceCli.Session session = cli.open()) {
      ConsumerBuilder<byte[], byte[]> builder = session.sluice.consumer(stream).startPosition(from);
      if (group != null) {
        // Each printed record is checkpointed, no more: with -c the group resumes after the last.
        builder.group(group).checkpointing(CheckpointMode.MANUAL);
      }
      java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicBoolean stopping =
          new java.util.concurrent.atomic.AtomicBoolean();
      // Ctrl-C: stop polling and close the consumer, which checkpoints and leaves the group (on
      // Kinesis, releases its leases, so the group can be reset right after).
      Thread hook =
          new Thread(
              () -> {
                stopping.set(true);
                try {
                  closed.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "sluice-consume-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try (PullConsumer<byte[], byte[]> consumer = builder.open()) {
        long lastRecord = -1;
        while ((count < 0 || printed < count) && !stopping.get()) {
          List<Record<byte[], byte[]>> batch = consumer.poll(Duration.ofMillis(200));
          long now = System.nanoTime();
          for (Record<byte[], byte[]> r : batch) {
            out.write(r, sink);
            if (group != null) {
              consumer.checkpoint(r);
            }
            progress.update(++printed);
            if (printed == count) {
              break;
            }
          }
          if (!batch.isEmpty()) {
            sink.flush();
            lastRecord = now;
          } else if (lastRecord < 0 && !consumer.assignment().isEmpty()) {
            lastRecord = now; // reading: the idle time counts from here
          }
          if (exitAtEnd && lastRecord >= 0 && now - lastRecord > idle.toNanos()) {
            break;
          }
        }
        sink.flush();
      } finally {
        closed.countDown();
        if (!stopping.get()) {
          Runtime.getRuntime().removeShutdownHook(hook);
        }
      }
    }
    progress.finish(printed);
    return SluiceCli.OK;
  }
}
