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
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Asks the broker, within a time bound, whether it answers, and how far each listener's group is
 * behind. A broker that is down can make a client call block for a minute (Kafka's {@code
 * default.api.timeout.ms}) or retry for long: the health endpoint must not wait that long, so each
 * call runs as a {@link BoundedCall} and the whole check takes at most {@code timeout}.
 *
 * <p>Reachability is one cheap call (listing the streams). The lag takes more calls (on Kinesis a
 * lease table scan and reads per shard): it gets what is left of the timeout, and when it is not
 * ready by then the last lag known is shown, so a slow lag never turns a reachable broker DOWN.
 */
final class BrokerProbe {
  private final Sluice sluice;
  private final Duration timeout;
  private final BoundedCall<List<String>> reach = new BoundedCall<>("sluice-health-reach");
  private final BoundedCall<Map<String, Map<String, Object>>> lagCall =
      new BoundedCall<>("sluice-health-lag");
  private volatile Map<String, Map<String, Object>> lastLag = Map.of();

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
   * @param lag per listener name, its group's lag details (for the groups described)
   */
  record Answer(@Nullable String error, Map<String, Map<String, Object>> lag) {}

  /**
   * Asks the broker; returns within the timeout (plus scheduling), whatever the broker does.
   *
   * @param groups the running listeners' groups, described for their lag
   * @return the answer
   */
  Answer ask(List<Group> groups) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      reach.get(() -> sluice.admin().listStreams(), timeout);
    } catch (TimeoutException e) {
      return new Answer("no answer from the broker within " + timeout, Map.of());
    } catch (ExecutionException e) {
      return new Answer(describe(e.getCause()), Map.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer("interrupted while asking the broker", Map.of());
    }
    if (groups.isEmpty()) {
      return new Answer(null, Map.of());
    }
    try {
      lastLag = lagCall.get(() -> lag(groups), Duration.ofNanos(deadline - System.nanoTime()));
    } catch (TimeoutException | ExecutionException e) {
      // The broker answered; the lag is late or failed: show the last one known.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Answer(null, lastLag);
  }

  private Map<String, Map<String, Object>> lag(List<Group> groups) {
    Map<String, Map<String, Object>> lag = new LinkedHashMap<>();
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
    return lag;
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
