package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Capabilities;
import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Headers;
import dev.sluice.Record;
import dev.sluice.SluiceException;
import dev.sluice.spi.HashRouting;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ValidationTest {
  private static final Capabilities CAPS =
      Capabilities.builder()
          .maxRecordBytes(100)
          .maxKeyBytes(10)
          .maxHeaders(2)
          .maxHeaderNameBytes(5)
          .build();

  @Test
  @DisplayName("stream names are the portable subset of Kafka's and Kinesis's rules")
  void streamNames() {
    for (String good : List.of("a", "orders.v2", "my_stream-1", "x".repeat(128))) {
      assertThatCode(() -> Validation.streamName(good)).doesNotThrowAnyException();
    }
    for (String bad : List.of("", "x".repeat(129), "has space", "slash/no", ".", "..", "ümlaut")) {
      assertThatThrownBy(() -> Validation.streamName(bad))
          .isInstanceOf(SluiceException.class)
          .extracting(e -> ((SluiceException) e).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
  }

  @Test
  @DisplayName("records are checked against the backend's limits before sending")
  void records() {
    assertThatCode(() -> Validation.record(Record.of(new byte[10], new byte[90]), CAPS))
        .doesNotThrowAnyException();
    assertCode(Record.of(new byte[10], new byte[91]), ErrorCode.RECORD_TOO_LARGE);
    assertCode(Record.of(new byte[11], new byte[1]), ErrorCode.INVALID_ARGUMENT);
    assertCode(
        Record.builder((byte[]) null, new byte[1])
            .headers(Headers.builder().add("a", "1").add("b", "2").add("c", "3").build())
            .build(),
        ErrorCode.INVALID_ARGUMENT);
    assertCode(
        Record.builder((byte[]) null, new byte[1]).header("toolong", "x").build(),
        ErrorCode.INVALID_ARGUMENT);
    assertCode(
        Record.builder((byte[]) null, new byte[1]).header("", "x").build(),
        ErrorCode.INVALID_ARGUMENT);
    assertCode(
        Record.builder((byte[]) null, new byte[1]).header("a\nb", "x").build(),
        ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  @DisplayName(
      "the size check uses the backend's count: 4 bytes per header by default, its own per-header"
          + " overhead or its own record size when it declares them")
  void sizeAsTheBackendCountsIt() {
    Record<byte[], byte[]> withHeader =
        Record.builder(new byte[10], new byte[80]).header("abcd", new byte[2]).build();
    // 10 + 80 + 4 + 2 + 4 = 100: exactly the limit by Kafka's count.
    assertThat(CAPS.recordSize(withHeader)).isEqualTo(100);
    assertThatCode(() -> Validation.record(withHeader, CAPS)).doesNotThrowAnyException();

    Capabilities fivePerHeader =
        Capabilities.builder().maxRecordBytes(100).headerOverheadBytes(5).build();
    assertThat(fivePerHeader.recordSize(withHeader)).isEqualTo(101);
    assertThatThrownBy(() -> Validation.record(withHeader, fivePerHeader))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RECORD_TOO_LARGE))
        .hasMessageContaining("101 bytes");

    Capabilities ownCount =
        Capabilities.builder().maxRecordBytes(100).recordSize(r -> r.value().length * 2L).build();
    assertThatCode(() -> Validation.record(Record.of(new byte[99], new byte[50]), ownCount))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> Validation.record(Record.of(null, new byte[51]), ownCount))
        .isInstanceOf(SluiceException.class);
  }

  @Test
  @DisplayName("even hash-key ranges cover the whole 128-bit space without gaps")
  void evenRanges() {
    List<HashKeyRange> ranges = HashRouting.evenRanges(3);
    assertThat(ranges.get(0).start()).isEqualTo(BigInteger.ZERO);
    assertThat(ranges.get(2).end()).isEqualTo(HashKeyRange.MAX);
    for (int i = 1; i < ranges.size(); i++) {
      assertThat(ranges.get(i).start()).isEqualTo(ranges.get(i - 1).end().add(BigInteger.ONE));
    }
  }

  private static void assertCode(Record<byte[], byte[]> record, ErrorCode code) {
    assertThatThrownBy(() -> Validation.record(record, CAPS))
        .isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).code())
        .isEqualTo(code);
  }
}
