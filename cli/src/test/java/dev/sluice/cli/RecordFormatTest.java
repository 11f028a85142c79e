package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The format strings and durations the commands print and take. */
class RecordFormatTest {
  private static Record<byte[], byte[]> record() {
    return Record.received(
        "orders",
        Shard.of(3),
        Position.of(42),
        "k".getBytes(StandardCharsets.UTF_8),
        new byte[] {'v', (byte) 0xff},
        Headers.builder().add("a", "1").add("a", "2").build(),
        1000L);
  }

  private static byte[] print(RecordFormat format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    format.write(record(), out);
    return out.toByteArray();
  }

  @Test
  void fieldsAndEscapesAsKcatWritesThem() throws IOException {
    assertThat(print(RecordFormat.parse("%t/%s@%p %T %k=%v [%h] %K %S %%\\t\\n")))
        .isEqualTo(
            concat(
                "orders/3@42 1000 k=".getBytes(StandardCharsets.UTF_8),
                new byte[] {'v', (byte) 0xff},
                " [a=1,a=2] 1 2 %\t\n".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anUnknownFieldIsRefused() {
    SluiceException e = catchThrowableOfType(SluiceException.class, () -> RecordFormat.parse("%x"));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("%x");
  }

  @Test
  void durationsInTheFormsPeopleType() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.parse("PT90S")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.format(Duration.ofDays(7))).isEqualTo("7d");
    assertThat(Durations.human(Duration.ofMillis(41_400))).isEqualTo("41.4s");
    assertThat(Durations.human(Duration.ofSeconds(723))).isEqualTo("12m03s");
    assertThat(catchThrowableOfType(SluiceException.class, () -> Durations.parse("soon")).code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
