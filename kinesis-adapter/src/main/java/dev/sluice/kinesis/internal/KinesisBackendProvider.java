package dev.sluice.kinesis.internal;

import dev.sluice.spi.Backend;
import dev.sluice.spi.BackendContext;
import dev.sluice.spi.BackendProvider;
import java.util.Set;

/**
 * Provides the {@code kinesis} backend (found by {@link java.util.ServiceLoader}; applications
 * select it with {@code sluice.backend=kinesis}).
 *
 * <p>Configuration keys, all under {@code sluice.kinesis.}: {@code region} (required), {@code
 * endpoint}, {@code dynamodb.endpoint}, {@code allow.split.endpoints}, {@code credentials} ({@code
 * default} or {@code static}), {@code access.key.id}, {@code secret.access.key}, {@code
 * session.token}, {@code lease.table.prefix}, {@code consumer.type} ({@code polling} or {@code
 * fanout}), {@code consumer.name}, {@code fanout.resubscribe.ms} (for tests), {@code
 * poll.interval.ms}, {@code max.batch.records}, {@code failover.time.ms}, {@code lease.assignment},
 * {@code lease.assignment.interval.ms}, {@code shard.sync.interval.ms}, {@code
 * parent.shard.poll.interval.ms}, {@code dispatch.interval.ms}, {@code
 * worker.metrics.capture.interval.ms}, {@code worker.metrics.report.interval.ms}, {@code
 * shutdown.timeout.ms}, {@code linger.ms}, {@code delivery.timeout.ms}, {@code retry.backoff.ms},
 * {@code retry.backoff.max.ms}, {@code buffer.max.bytes}. {@link dev.sluice.kinesis.KinesisOptions}
 * documents each and builds them in code.
 */
public final class KinesisBackendProvider implements BackendProvider {

  @Override
  public String name() {
    return "kinesis";
  }

  @Override
  public Set<String> configKeys() {
    return KinesisSettings.KEYS;
  }

  @Override
  public Backend open(BackendContext context) {
    return new KinesisBackend(KinesisSettings.parse(context.config()));
  }
}
