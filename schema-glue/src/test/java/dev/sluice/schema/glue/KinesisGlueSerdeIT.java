package dev.sluice.schema.glue;

import dev.sluice.Sluice;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Glue serdes on the Kinesis emulator. The schema-version UUID travels in the value (Kinesis
 * has no headers), so the bytes are the same Glue frame as on Kafka.
 */
@ExtendWith(KinesisEmulatorExtension.class)
class KinesisGlueSerdeIT extends GlueSerdeContract {
  private static KinesisEmulator kinesis;
  private static DynamoDbEmulator dynamo;

  @BeforeAll
  static void emulators(KinesisEmulator emulator, DynamoDbEmulator dynamoDb) {
    kinesis = emulator;
    dynamo = dynamoDb;
  }

  @Override
  Sluice openSluice() {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(
            KinesisOptions.builder()
                .region(kinesis.region())
                .endpoint(kinesis.endpoint())
                .dynamoDbEndpoint(dynamo.endpoint())
                .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
                .build()
                .toMap())
        .open();
  }
}
