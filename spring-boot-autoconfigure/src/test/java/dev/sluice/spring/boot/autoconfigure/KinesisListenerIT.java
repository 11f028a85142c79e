package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same Boot scenarios on the Kinesis backend: the kinesis-local emulator for the streams and
 * dynalite for the KCL's leases and checkpoints, both from test-brokers, started once per test run.
 */
@DisplayName("Spring Boot listeners on the kinesis backend")
@ExtendWith(KinesisEmulatorExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KinesisListenerIT extends ListenerScenarios {
  private Map<String, String> properties = Map.of();

  @BeforeEach
  void brokers(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    Map<String, String> settings =
        new LinkedHashMap<>(
            KinesisOptions.builder()
                .region(kinesis.region())
                .endpoint(kinesis.endpoint())
                .dynamoDbEndpoint(dynamo.endpoint())
                .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
                // The KCL's lease and shard timings made short, so that a group starts and hands
                // over in seconds rather than a minute.
                .fastGroupTimingsForTests()
                .build()
                .toMap());
    settings.put("sluice.backend", "kinesis");
    // Each test's groups get lease tables of their own (a group is a lease table on Kinesis).
    settings.put(
        "sluice.kinesis.lease.table.prefix",
        "boot-" + UUID.randomUUID().toString().substring(0, 8));
    properties = Map.copyOf(settings);
  }

  @Override
  Map<String, String> backendProperties() {
    return properties;
  }

  @Override
  String backendName() {
    return "kinesis";
  }

  @Override
  boolean countsLag() {
    return false; // Kinesis tells no record counts behind, only ages
  }

  @Override
  Duration firstRecordTimeout() {
    // A KCL group takes 10 to 40 s to take its first lease on the emulator.
    return Duration.ofSeconds(120);
  }
}
