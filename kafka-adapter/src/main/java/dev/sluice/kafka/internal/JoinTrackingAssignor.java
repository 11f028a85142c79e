package dev.sluice.kafka.internal;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.common.Configurable;
import org.jspecify.annotations.Nullable;

/**
 * Kafka's cooperative-sticky assignor (same name, same assignments, so it mixes with plain members)
 * that also tells its consumer driver when the member is rejoining its group: from the moment the
 * join request is made (Kafka asks the assignor for its subscription data then) until the new
 * assignment arrives. In that window the group coordinator may move to the next generation at any
 * moment, so a transaction must not commit checkpoints with the member's current one: Kafka Streams
 * holds its commits back the same way ({@code rebalanceInProgress}). The flag is handed over in the
 * consumer's configuration under {@link #JOINING}, since Kafka makes the assignor itself.
 */
public final class JoinTrackingAssignor extends CooperativeStickyAssignor implements Configurable {
  /** The configuration key of the driver's flag, an {@link AtomicBoolean}. */
  static final String JOINING = "sluice.internal.joining";

  private @Nullable AtomicBoolean joining;

  /** Made by Kafka from the consumer's configuration. */
  public JoinTrackingAssignor() {}

  /**
   * Takes the driver's flag from the configuration.
   *
   * @param configs the consumer's configuration, with the flag under {@link #JOINING}
   */
  @Override
  public void configure(Map<String, ?> configs) {
    Object flag = configs.get(JOINING);
    joining = flag instanceof AtomicBoolean b ? b : null;
  }

  /**
   * Marks the member joining, then returns the cooperative-sticky data.
   *
   * @param topics the topics subscribed
   * @return the data the group leader's assignor reads
   */
  @Override
  public ByteBuffer subscriptionUserData(Set<String> topics) {
    AtomicBoolean flag = joining;
    if (flag != null) {
      flag.set(true);
    }
    return super.subscriptionUserData(topics);
  }

  /**
   * Takes the assignment, then marks the join over.
   *
   * @param assignment the member's new assignment
   * @param metadata the member's new group metadata
   */
  @Override
  public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
    super.onAssignment(assignment, metadata);
    AtomicBoolean flag = joining;
    if (flag != null) {
      flag.set(false);
    }
  }
}
