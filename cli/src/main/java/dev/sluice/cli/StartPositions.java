package dev.sluice.cli;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Start positions as the commands take them: earliest, latest, a time, or shard positions. As a
 * picocli converter, a bad one is a usage error (exit 2).
 */
final class StartPositions implements picocli.CommandLine.ITypeConverter<StartPosition> {
  @Override
  public StartPosition convert(String value) {
    try {
      return parse(value);
    } catch (SluiceException e) {
      throw new picocli.CommandLine.TypeConversionException(
          e.getMessage().replaceFirst("^\\[[A-Z_]+\\] ", ""));
    }
  }

  static final String HELP =
      "earliest, latest, an instant (2026-01-01T00:00:00Z), @MILLIS, or"
          + " SHARD=POSITION[,SHARD=POSITION...]";

  static StartPosition parse(String text) {
    String t = text.trim();
    switch (t) {
      case "earliest":
      case "beginning":
        return StartPosition.earliest();
      case "latest":
      case "end":
        return StartPosition.latest();
      default:
        break;
    }
    if (t.startsWith("@")) {
      try {
        return StartPosition.atTimestamp(Instant.ofEpochMilli(Long.parseLong(t.substring(1))));
      } catch (NumberFormatException e) {
        throw bad(text);
      }
    }
    if (t.contains("=")) {
      Map<Shard, Position> positions = new LinkedHashMap<>();
      for (String pair : t.split(",")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw bad(text);
        }
        positions.put(
            Shard.of(pair.substring(0, eq).trim()), Position.parse(pair.substring(eq + 1).trim()));
      }
      return StartPosition.at(positions);
    }
    try {
      return StartPosition.atTimestamp(Instant.parse(t));
    } catch (DateTimeParseException e) {
      throw bad(text);
    }
  }

  private static SluiceException bad(String text) {
    return new SluiceException(
        ErrorCode.INVALID_ARGUMENT, "Not a start position: '" + text + "' (" + HELP + ")");
  }
}
