package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the application's {@link ShardListener} about assignment changes, and keeps a listener that
 * throws from breaking the driver thread that called it (logged, then ignored).
 *
 * <p>Separate from the consumer as Kafka's {@code ConsumerRebalanceListenerInvoker} is: the events
 * are values built for the listener, and what a listener may do to the caller is decided here.
 */
final class ShardListenerInvoker {
  /** The consumer's logger: what a consumer logs keeps one logger name, as before the split. */
  private static final Logger LOG = LoggerFactory.getLogger(DefaultConsumer.class);

  private final ShardListener listener;
  private final String clientId;

  ShardListenerInvoker(ShardListener listener, String clientId) {
    this.listener = listener;
    this.clientId = clientId;
  }

  /**
   * @param given the shards just assigned
   * @param assignment every shard owned now
   */
  void assigned(Set<Shard> given, Set<Shard> assignment) {
    call(
        () ->
            listener.onAssigned(
                new ShardListener.Assigned() {
                  @Override
                  public Set<Shard> shards() {
                    return given;
                  }

                  @Override
                  public Set<Shard> assignment() {
                    return assignment;
                  }

                  @Override
                  public String toString() {
                    return "Assigned" + given;
                  }
                }));
  }

  /**
   * @param given the shards given up
   * @param lost true if they were lost without a chance to checkpoint
   * @param checkpointed the checkpoints handed to the driver to write as the shards went
   */
  void revoked(Set<Shard> given, boolean lost, Map<Shard, Position> checkpointed) {
    call(
        () ->
            listener.onRevoked(
                new ShardListener.Revoked() {
                  @Override
                  public Set<Shard> shards() {
                    return given;
                  }

                  @Override
                  public boolean lost() {
                    return lost;
                  }

                  @Override
                  public Map<Shard, Position> checkpointed() {
                    return checkpointed;
                  }

                  @Override
                  public String toString() {
                    return "Revoked" + given + (lost ? " (lost)" : " " + checkpointed);
                  }
                }));
  }

  private void call(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.warn("{}: the shard listener threw", clientId, e);
    }
  }
}
