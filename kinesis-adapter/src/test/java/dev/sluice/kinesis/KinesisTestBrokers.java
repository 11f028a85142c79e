package dev.sluice.kinesis;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import java.util.Map;

/**
 * The Sluice configuration for the test emulator and the DynamoDB emulator, with fast KCL timings.
 */
public final class KinesisTestBrokers {
  private KinesisTestBrokers() {}

  public static KinesisOptions.Builder options(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    return KinesisOptions.builder()
        .region(kinesis.region())
        .endpoint(kinesis.endpoint())
        .dynamoDbEndpoint(dynamo.endpoint())
        .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
        .fastGroupTimingsForTests();
  }

  public static Map<String, String> config(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    return options(kinesis, dynamo).build().toMap();
  }

  public static Sluice.Builder builder(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    return Sluice.builder().ignoreEnvironment().properties(config(kinesis, dynamo));
  }
}
