package dev.sluice.spi;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What a backend is opened with. */
public interface BackendContext {
  /**
   * The whole resolved configuration, full key names ({@code sluice.kafka.acks}).
   *
   * @return the whole resolved configuration, full key names ({@code sluice.kafka.acks})
   */
  Map<String, String> config();

  /**
   * The backend's own section with the prefix removed: for {@code kafka}, {@code
   * sluice.kafka.bootstrap.servers} is {@code bootstrap.servers} here.
   *
   * @return the backend's own section with the prefix removed: for {@code kafka}, {@code
   *     sluice.kafka.bootstrap.servers} is {@code bootstrap.servers} here
   */
  Map<String, String> section();

  /**
   * The application's meter registry, or null. Core records Sluice's portable meters itself; a
   * backend may bind its client's own metrics here too.
   *
   * @return the application's meter registry, or null
   */
  @Nullable MeterRegistry meterRegistry();
}
