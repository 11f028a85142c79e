package dev.sluice.schema.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConfluentFramingTest {
  @Test
  @DisplayName("the header is the magic byte 0 and the id big-endian, and reads back")
  void header() {
    byte[] bytes = new byte[ConfluentFraming.HEADER_LENGTH + 1];
    ConfluentFraming.writeHeader(bytes, 0x01020384);

    assertThat(bytes).startsWith(0, 1, 2, 3, 0x84);
    assertThat(ConfluentFraming.readSchemaId(bytes)).isEqualTo(0x01020384);
  }
}
