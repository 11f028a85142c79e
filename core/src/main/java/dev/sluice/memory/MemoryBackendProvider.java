package dev.sluice.memory;

import dev.sluice.spi.Backend;
import dev.sluice.spi.BackendContext;
import dev.sluice.spi.BackendProvider;
import dev.sluice.spi.ConfigValues;
import java.util.Map;
import java.util.Set;

/**
 * Provides the {@code memory} backend.
 *
 * <p>Configuration: {@code sluice.memory.namespace} (streams are shared by every Sluice that names
 * the same namespace in this JVM; default {@code default}), {@code sluice.memory.max.record.bytes}
 * (default 1048576, the limit Kafka and Kinesis share), {@code sluice.memory.max.key.bytes}
 * (default 256, Kinesis's partition-key limit, so code tested here also runs there), {@code
 * sluice.memory.write.ids} (default true: the backend stores write ids and declares {@code
 * DEDUPLICATION}; false to try an application against a backend without it).
 */
public final class MemoryBackendProvider implements BackendProvider {
  static final String NAMESPACE = "sluice.memory.namespace";
  static final String MAX_RECORD_BYTES = "sluice.memory.max.record.bytes";
  static final String MAX_KEY_BYTES = "sluice.memory.max.key.bytes";
  static final String WRITE_IDS = "sluice.memory.write.ids";

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public Set<String> configKeys() {
    return Set.of(NAMESPACE, MAX_RECORD_BYTES, MAX_KEY_BYTES, WRITE_IDS);
  }

  @Override
  public Backend open(BackendContext context) {
    Map<String, String> config = context.config();
    String namespace = config.getOrDefault(NAMESPACE, "default");
    int maxRecordBytes = intValue(config, MAX_RECORD_BYTES, 1024 * 1024);
    int maxKeyBytes = intValue(config, MAX_KEY_BYTES, 256);
    boolean writeIds = ConfigValues.bool(WRITE_IDS, config.get(WRITE_IDS), true);
    return new MemoryBackend(
        MemoryBroker.forNamespace(namespace), maxRecordBytes, maxKeyBytes, writeIds);
  }

  private static int intValue(Map<String, String> config, String key, int defaultValue) {
    return (int) ConfigValues.wholeNumber(key, config.get(key), defaultValue, 1, Integer.MAX_VALUE);
  }
}
