package dev.sluice.kinesis;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import java.net.URI;
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

  /**
   * {@link #options} with Kinesis reached through a loopback proxy in front of the emulator (such
   * as {@code KinesisFaultProxy}), which relays HTTP/1.1 only.
   */
  public static KinesisOptions.Builder viaProxy(
      KinesisEmulator kinesis, DynamoDbEmulator dynamo, URI proxy) {
    return options(kinesis, dynamo).endpoint(proxy).httpProtocol("http1.1");
  }

  public static Map<String, String> config(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    return options(kinesis, dynamo).build().toMap();
  }

  public static Sluice.Builder builder(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    return Sluice.builder().ignoreEnvironment().properties(config(kinesis, dynamo));
  }
}
