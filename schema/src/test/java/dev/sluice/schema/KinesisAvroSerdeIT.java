package dev.sluice.schema;

import dev.sluice.Sluice;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Avro serdes on the Kinesis emulator. The schema id travels in the value (Kinesis has no
 * headers), so the bytes are the same Confluent frame as on Kafka. The contract's consumers have no
 * group, so they read shards directly and need no lease table.
 */
@ExtendWith(KinesisEmulatorExtension.class)
class KinesisAvroSerdeIT extends AvroSerdeContract {
  private static KinesisEmulator kinesis;

  @BeforeAll
  static void emulator(KinesisEmulator emulator) {
    kinesis = emulator;
  }

  @Override
  Sluice openSluice() {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(
            KinesisOptions.builder()
                .region(kinesis.region())
                .endpoint(kinesis.endpoint())
                .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
                .build()
                .toMap())
        .open();
  }
}
