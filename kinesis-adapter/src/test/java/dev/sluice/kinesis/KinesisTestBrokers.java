package dev.sluice.kinesis;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.DynamoDbLocal;
import dev.sluice.testbrokers.KinesisEmulator;
import java.util.Map;

/** The Sluice configuration for the test emulator and DynamoDB Local, with fast KCL timings. */
final class KinesisTestBrokers {
  private KinesisTestBrokers() {}

  static KinesisOptions.Builder options(KinesisEmulator kinesis, DynamoDbLocal dynamo) {
    return KinesisOptions.builder()
        .region(kinesis.region())
        .endpoint(kinesis.endpoint())
        .dynamoDbEndpoint(dynamo.endpoint())
        .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
        .fastGroupTimingsForTests();
  }

  static Map<String, String> config(KinesisEmulator kinesis, DynamoDbLocal dynamo) {
    return options(kinesis, dynamo).build().toMap();
  }

  static Sluice.Builder builder(KinesisEmulator kinesis, DynamoDbLocal dynamo) {
    return Sluice.builder().ignoreEnvironment().properties(config(kinesis, dynamo));
  }
}
