package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.Sluice;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * DOWN when a listener stopped on its own (a handler failed past its failure policy, a connection
 * the backend could not recover), UP otherwise. Details: the backend, the streams consumed, and
 * each listener's stream, group, status and owned shards.
 */
public class SluiceHealthIndicator extends AbstractHealthIndicator {
  private final Sluice sluice;
  private final SluiceListenerContainer container;

  /**
   * An indicator for this Sluice and its listeners.
   *
   * @param sluice the Sluice bean
   * @param container the listeners
   */
  public SluiceHealthIndicator(Sluice sluice, SluiceListenerContainer container) {
    super("Sluice health check failed");
    this.sluice = sluice;
    this.container = container;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    boolean failed = false;
    Map<String, Object> listeners = new LinkedHashMap<>();
    TreeSet<String> streams = new TreeSet<>();
    for (SluiceListenerContainer.ListenerState state : container.states()) {
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("stream", state.stream());
      detail.put("group", state.group() == null ? "(standalone)" : state.group());
      detail.put("status", state.status());
      detail.put("shards", state.shards());
      if (state.failure() != null) {
        detail.put("failure", state.failure());
      }
      failed |= state.status().equals("FAILED");
      streams.add(state.stream());
      listeners.put(state.name(), detail);
    }
    (failed ? builder.down() : builder.up())
        .withDetail("backend", sluice.backend())
        .withDetail("streams", streams)
        .withDetail("listeners", listeners);
  }
}
