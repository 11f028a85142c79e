package dev.sluice.examples.boot;

import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The billing service on Kinesis: the kinesis-local emulator and dynalite for the leases. */
@DisplayName("The billing service on the kinesis backend")
@ExtendWith(KinesisEmulatorExtension.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KinesisBillingServiceIT extends BillingServiceContract {
  private Map<String, String> properties = Map.of();

  @BeforeEach
  void brokers(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    // Properties only, as a deployment would set them; KinesisOptions just spells them out
    // (region, endpoints, static credentials, and the KCL's lease timings made short so that a
    // group starts in seconds on the emulator rather than in a minute and a half).
    Map<String, String> settings =
        new LinkedHashMap<>(
            KinesisOptions.builder()
                .region(kinesis.region())
                .endpoint(kinesis.endpoint())
                .dynamoDbEndpoint(dynamo.endpoint())
                .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
                .fastGroupTimingsForTests()
                .build()
                .toMap());
    settings.put("sluice.backend", "kinesis");
    // Another run's "billing" group is another lease table.
    settings.put(
        "sluice.kinesis.lease.table.prefix",
        "billing-" + UUID.randomUUID().toString().substring(0, 8));
    properties = settings;
  }

  @Override
  Map<String, String> backendProperties() {
    return properties;
  }

  @Override
  String backendName() {
    return "kinesis";
  }
}
