package dev.sluice.spring.boot;

import dev.sluice.Consumer;
import dev.sluice.ConsumerBuilder;
import dev.sluice.ErrorCode;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A consumer declared as a bean: the stream, the serdes, the group and the handler. The
 * auto-configuration starts one {@link Consumer} per such bean once the application context is
 * refreshed, and closes it on shutdown before the {@link Sluice} bean closes, so the checkpoints of
 * what was handled are written and the group resumes right after them.
 *
 * <pre>{@code
 * @Bean
 * SluiceListener<String, Order> billing(Billing billing) {
 *   return SluiceListener.on("orders", Serde.string(), Serde.json(Order.class))
 *       .configure(consumer -> consumer.startPosition(StartPosition.earliest()))
 *       .handler(record -> billing.bill(record.value()));
 * }
 * }</pre>
 *
 * <p>Like a Spring Cloud Stream consumer binding, a listener is a durable member of a consumer
 * group: the group is the bean's name unless {@link Builder#group(String)} names one, or {@link
 * Builder#standalone()} asks for a consumer of every shard without a group.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class SluiceListener<K, V> {
  private final String stream;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private final @Nullable String group;
  private final boolean standalone;
  private final UnaryOperator<ConsumerBuilder<K, V>> configuration;
  private final RecordHandler<K, V> handler;

  private SluiceListener(Builder<K, V> builder, RecordHandler<K, V> handler) {
    this.stream = builder.stream;
    this.keySerde = builder.keySerde;
    this.valueSerde = builder.valueSerde;
    this.group = builder.group;
    this.standalone = builder.standalone;
    this.configuration = builder.configuration;
    this.handler = handler;
  }

  /**
   * Starts declaring a listener of this stream.
   *
   * @param stream the stream to consume
   * @param keySerde reads the keys
   * @param valueSerde reads the values
   * @param <K> the key type
   * @param <V> the value type
   * @return a builder; finish it with {@link Builder#handler(RecordHandler)}
   */
  public static <K, V> Builder<K, V> on(String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    return new Builder<>(
        require(stream, "stream"),
        require(keySerde, "keySerde"),
        require(valueSerde, "valueSerde"));
  }

  /**
   * The stream this listener consumes.
   *
   * @return the stream name
   */
  public String stream() {
    return stream;
  }

  /**
   * The group this listener joins when its bean is named {@code beanName}.
   *
   * @param beanName the name of the listener's bean
   * @return the group, or null for a standalone listener
   */
  public @Nullable String group(String beanName) {
    if (standalone) {
      return null;
    }
    return group != null ? group : beanName;
  }

  /**
   * Starts the consumer this bean declares. The auto-configuration calls it; an application
   * declaring listeners as beans does not.
   *
   * @param sluice where to consume from
   * @param beanName the listener's bean name, the group unless one was named
   * @return the running consumer
   */
  public Consumer<K, V> start(Sluice sluice, String beanName) {
    ConsumerBuilder<K, V> builder = sluice.consumer(stream, keySerde, valueSerde);
    String groupName = group(beanName);
    if (groupName != null) {
      builder.group(groupName);
    }
    ConsumerBuilder<K, V> configured = configuration.apply(builder);
    if (configured == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "The configure(...) function of listener '"
              + beanName
              + "' returned null: return the builder it was given");
    }
    return configured.start(handler);
  }

  @Override
  public String toString() {
    return "SluiceListener[" + stream + (standalone ? ", standalone" : "") + "]";
  }

  private static <T> T require(@Nullable T value, String name) {
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, name + " must not be null");
    }
    return value;
  }

  /**
   * Declares a {@link SluiceListener}.
   *
   * @param <K> the key type
   * @param <V> the value type
   */
  public static final class Builder<K, V> {
    private final String stream;
    private final Serde<K> keySerde;
    private final Serde<V> valueSerde;
    private @Nullable String group;
    private boolean standalone;
    private UnaryOperator<ConsumerBuilder<K, V>> configuration = UnaryOperator.identity();

    private Builder(String stream, Serde<K> keySerde, Serde<V> valueSerde) {
      this.stream = stream;
      this.keySerde = keySerde;
      this.valueSerde = valueSerde;
    }

    /**
     * Joins this consumer group instead of the one named after the bean.
     *
     * @param group the group name
     * @return this builder
     */
    public Builder<K, V> group(String group) {
      this.group = require(group, "group");
      this.standalone = false;
      return this;
    }

    /**
     * Consumes every shard without a group (no checkpoints are stored).
     *
     * @return this builder
     */
    public Builder<K, V> standalone() {
      this.standalone = true;
      this.group = null;
      return this;
    }

    /**
     * Sets anything else on the consumer: start position, checkpointing, failure policy, shard
     * listener, buffers. The function gets the builder with stream, serdes and group set and
     * returns it.
     *
     * @param configuration changes the consumer's builder and returns it
     * @return this builder
     */
    public Builder<K, V> configure(UnaryOperator<ConsumerBuilder<K, V>> configuration) {
      this.configuration = require(configuration, "configuration");
      return this;
    }

    /**
     * Finishes the declaration with the handler each record goes to (sequential per shard, parallel
     * across shards).
     *
     * @param handler handles one record; throwing follows the consumer's failure policy
     * @return the listener, to return from a {@code @Bean} method
     */
    public SluiceListener<K, V> handler(RecordHandler<K, V> handler) {
      return new SluiceListener<>(this, require(handler, "handler"));
    }
  }
}
