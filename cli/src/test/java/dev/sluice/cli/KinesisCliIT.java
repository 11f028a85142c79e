package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI on the Kinesis emulator, with group leases in the DynamoDB emulator. */
@ExtendWith(KinesisEmulatorExtension.class)
class KinesisCliIT extends CliEndToEnd {
  private static KinesisEmulator kinesis;
  private static DynamoDbEmulator dynamo;

  @BeforeAll
  static void brokers(KinesisEmulator emulator, DynamoDbEmulator dynamoDb) {
    kinesis = emulator;
    dynamo = dynamoDb;
  }

  @Override
  Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("sluice.backend", "kinesis");
    s.putAll(
        KinesisOptions.builder()
            .region(kinesis.region())
            .endpoint(kinesis.endpoint())
            .dynamoDbEndpoint(dynamo.endpoint())
            .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
            .fastGroupTimingsForTests()
            .build()
            .toMap());
    return s;
  }

  @Override
  String idle() {
    return "3s";
  }

  @Override
  void assertLagAfterReadingAll(String described) {
    // No count of records on Kinesis; the age of the oldest unread record is zero.
    assertThat(described).contains("lag      -").contains(" 0ms");
  }
}
