package dev.sluice.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A backend's own settings")
class ConfigValuesTest {
  private static final String KEY = "sluice.test.linger.ms";

  @Test
  @DisplayName("a whole number is the default when unset, and read with blanks around it")
  void wholeNumber() {
    assertThat(ConfigValues.wholeNumber(KEY, null, 5, 0, Long.MAX_VALUE)).isEqualTo(5);
    assertThat(ConfigValues.wholeNumber(KEY, " 12 ", 5, 0, Long.MAX_VALUE)).isEqualTo(12);
    assertThat(ConfigValues.wholeNumber(KEY, "10", 5, 1, 10)).isEqualTo(10);
  }

  @Test
  @DisplayName("a value that is not a whole number in range names the key, the range and the value")
  void badWholeNumber() {
    assertInvalid("soon", 0, Long.MAX_VALUE, "'" + KEY + "' must be a whole number of at least 0");
    assertInvalid("", 0, Long.MAX_VALUE, "not ''");
    assertInvalid("1.5", 0, Long.MAX_VALUE, "not '1.5'");
    assertInvalid("0", 1, 10, "'" + KEY + "' must be a whole number between 1 and 10, not '0'");
    assertInvalid("11", 1, 10, "between 1 and 10, not '11'");
  }

  private static void assertInvalid(String value, long min, long max, String message) {
    assertThatThrownBy(() -> ConfigValues.wholeNumber(KEY, value, 5, min, max))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining(message);
  }

  @Test
  @DisplayName("a misspelt value gets the closest known one as a hint, a far one none")
  void closest() {
    List<String> regions = List.of("us-east-1", "us-west-2", "eu-west-1");
    assertThat(ConfigValues.closest("us-esat-1", regions)).isEqualTo("us-east-1");
    assertThat(ConfigValues.closest("mars-north-9", regions)).isNull();
  }
}
