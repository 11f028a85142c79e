package dev.sluice.kafka.internal;

import dev.sluice.spi.Backend;
import dev.sluice.spi.BackendContext;
import dev.sluice.spi.BackendProvider;
import java.util.Set;

/**
 * The {@code kafka} backend, found by {@link java.util.ServiceLoader}. Configured from {@code
 * sluice.kafka.*}: every Kafka producer, consumer and admin client setting is passed through (see
 * {@link dev.sluice.kafka.KafkaOptions}).
 */
public final class KafkaBackendProvider implements BackendProvider {
  /** Cheap: core instantiates every provider on the class path to read its name. */
  public KafkaBackendProvider() {}

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  public Set<String> configKeys() {
    return KafkaSettings.knownKeys();
  }

  @Override
  public boolean acceptsKey(String key) {
    return KafkaSettings.accepts(key);
  }

  @Override
  public Backend open(BackendContext context) {
    return new KafkaBackend(KafkaSettings.from(context.section()), context.meterRegistry());
  }
}
