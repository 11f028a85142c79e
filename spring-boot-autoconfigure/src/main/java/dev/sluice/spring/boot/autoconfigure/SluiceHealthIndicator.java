package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.Sluice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * DOWN when the broker does not answer within the timeout ({@code
 * management.health.sluice.timeout}, 5 s by default) or a listener stopped on its own (a handler
 * failed past its failure policy, a connection the backend could not recover), UP otherwise.
 * Details: the backend, whether the broker answered ({@code broker}: {@code reachable} or {@code
 * unreachable}, and the {@code error}), the streams consumed, and each listener's stream, group,
 * status, owned shards and, where the backend tells it, its group's lag ({@code lag} in records,
 * {@code lagTime} the age of the oldest record still to read).
 *
 * <p>A health check never waits longer than the timeout for the broker, so a broker that is down
 * cannot hang the actuator's endpoint.
 */
public class SluiceHealthIndicator extends AbstractHealthIndicator {
  private final Sluice sluice;
  private final SluiceListenerContainer container;
  private final BrokerProbe probe;

  /**
   * An indicator for this Sluice and its listeners, waiting at most 5 s for the broker.
   *
   * @param sluice the Sluice bean
   * @param container the listeners
   */
  public SluiceHealthIndicator(Sluice sluice, SluiceListenerContainer container) {
    this(sluice, container, SluiceHealthProperties.DEFAULT_TIMEOUT);
  }

  /**
   * An indicator for this Sluice and its listeners.
   *
   * @param sluice the Sluice bean
   * @param container the listeners
   * @param timeout how long a health check waits for the broker before it reports it unreachable
   */
  public SluiceHealthIndicator(Sluice sluice, SluiceListenerContainer container, Duration timeout) {
    super("Sluice health check failed");
    this.sluice = sluice;
    this.container = container;
    this.probe = new BrokerProbe(sluice, timeout);
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    List<SluiceListenerContainer.ListenerState> states = container.states();
    List<BrokerProbe.Group> groups = new ArrayList<>();
    for (SluiceListenerContainer.ListenerState state : states) {
      if (state.group() != null && state.status().equals("RUNNING")) {
        groups.add(new BrokerProbe.Group(state.name(), state.stream(), state.group()));
      }
    }
    BrokerProbe.Answer answer = probe.ask(groups);

    boolean failed = answer.error() != null;
    Map<String, Object> listeners = new LinkedHashMap<>();
    TreeSet<String> streams = new TreeSet<>();
    for (SluiceListenerContainer.ListenerState state : states) {
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("stream", state.stream());
      detail.put("group", state.group() == null ? "(standalone)" : state.group());
      detail.put("status", state.status());
      detail.put("shards", state.shards());
      detail.putAll(answer.lag().getOrDefault(state.name(), Map.of()));
      if (state.failure() != null) {
        detail.put("failure", state.failure());
      }
      failed |= state.status().equals("FAILED");
      streams.add(state.stream());
      listeners.put(state.name(), detail);
    }
    (failed ? builder.down() : builder.up())
        .withDetail("backend", sluice.backend())
        .withDetail("broker", answer.error() == null ? "reachable" : "unreachable");
    if (answer.error() != null) {
      builder.withDetail("error", answer.error());
    }
    builder.withDetail("streams", streams).withDetail("listeners", listeners);
  }
}
