package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.ErrorCode;
import dev.sluice.GroupDescription;
import dev.sluice.ShardProgress;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Asks the broker, within a time bound, whether it answers, and how far each listener's group is
 * behind. A broker that is down can make a client call block for a minute (Kafka's {@code
 * default.api.timeout.ms}) or retry for long: the health endpoint must not wait that long, so the
 * call runs on a thread of its own and the health check waits for it at most {@code timeout}. A
 * call still running when the next check comes is waited for again rather than doubled, so a hung
 * broker costs one thread, not one per check.
 */
final class BrokerProbe {
  private final Sluice sluice;
  private final Duration timeout;
  private @Nullable CompletableFuture<Answer> inFlight; // guarded by this

  BrokerProbe(Sluice sluice, Duration timeout) {
    this.sluice = sluice;
    this.timeout = timeout;
  }

  /** A group to describe: the listener's bean name, its stream and group. */
  record Group(String listener, String stream, String group) {}

  /**
   * What the broker said.
   *
   * @param error why the broker is taken as unreachable, or null when it answered in time
   * @param lag per listener name, its group's lag details (only for groups described)
   */
  record Answer(@Nullable String error, Map<String, Map<String, Object>> lag) {}

  /**
   * Asks the broker; returns within the timeout (plus scheduling), whatever the broker does.
   *
   * @param groups the running listeners' groups, described for their lag; the streams are listed
   *     when there are none
   * @return the answer
   */
  Answer ask(List<Group> groups) {
    CompletableFuture<Answer> call;
    synchronized (this) {
      if (inFlight == null || inFlight.isDone()) {
        inFlight = start(groups);
      }
      call = inFlight;
    }
    try {
      return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return new Answer("no answer from the broker within " + timeout, Map.of());
    } catch (ExecutionException e) {
      return new Answer(describe(e.getCause()), Map.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer("interrupted while asking the broker", Map.of());
    }
  }

  private CompletableFuture<Answer> start(List<Group> groups) {
    CompletableFuture<Answer> result = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                result.complete(call(groups));
              } catch (Throwable t) {
                result.completeExceptionally(t);
              }
            },
            "sluice-health-probe");
    thread.setDaemon(true); // a broker that never answers must not keep the JVM alive
    thread.start();
    return result;
  }

  private Answer call(List<Group> groups) {
    Map<String, Map<String, Object>> lag = new LinkedHashMap<>();
    if (groups.isEmpty()) {
      sluice.admin().listStreams();
      return new Answer(null, lag);
    }
    for (Group group : groups) {
      try {
        lag.put(
            group.listener(), lag(sluice.groups().describeGroup(group.stream(), group.group())));
      } catch (SluiceException e) {
        // A group that has stored nothing yet (a Kinesis lease table still being created): the
        // broker answered, there is just no lag to tell.
        if (e.code() != ErrorCode.NOT_FOUND) {
          throw e;
        }
        lag.put(group.listener(), Map.of());
      }
    }
    return new Answer(null, lag);
  }

  private static Map<String, Object> lag(GroupDescription description) {
    Map<String, Object> detail = new LinkedHashMap<>();
    OptionalLong total = description.totalLag();
    if (total.isPresent()) {
      detail.put("lag", total.getAsLong());
    }
    Optional<Duration> oldest =
        description.shards().stream()
            .map(ShardProgress::lagTime)
            .flatMap(Optional::stream)
            .max(Duration::compareTo);
    oldest.ifPresent(age -> detail.put("lagTime", age.toString()));
    return detail;
  }

  private static String describe(@Nullable Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof SluiceException sluice) {
      return sluice.code() + ": " + sluice.getMessage();
    }
    return String.valueOf(cause);
  }
}
