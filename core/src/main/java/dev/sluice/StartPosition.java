package dev.sluice;

import dev.sluice.internal.Validation;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a consumer starts reading a shard for which it has no checkpoint (a new group, or a
 * standalone consumer).
 *
 * <pre>{@code
 * StartPosition.earliest();                         // everything still retained
 * StartPosition.latest();                           // only records sent from now on
 * StartPosition.atTimestamp(Instant.parse("2026-01-01T00:00:00Z"));
 * StartPosition.after(savedPositions);              // resume where the application got to
 * StartPosition.at(Map.of(shard, position)).orElse(StartPosition.earliest());
 * }</pre>
 */
public final class StartPosition {
  /** The kinds of start position. */
  public enum Kind {
    /** The oldest record still retained. */
    EARLIEST,
    /** The next record sent after the consumer starts. */
    LATEST,
    /** The first record with a timestamp at or after an instant. */
    AT_TIMESTAMP,
    /** Given positions for some shards; {@link #fallback()} for the others. */
    POSITIONS
  }

  private static final StartPosition EARLIEST =
      new StartPosition(Kind.EARLIEST, null, null, false, null);
  private static final StartPosition LATEST =
      new StartPosition(Kind.LATEST, null, null, false, null);

  private final Kind kind;
  private final @Nullable Instant timestamp;
  private final @Nullable Map<Shard, Position> positions;
  private final boolean inclusive;
  private final @Nullable StartPosition fallback;

  private StartPosition(
      Kind kind,
      @Nullable Instant timestamp,
      @Nullable Map<Shard, Position> positions,
      boolean inclusive,
      @Nullable StartPosition fallback) {
    this.kind = kind;
    this.timestamp = timestamp;
    this.positions = positions;
    this.inclusive = inclusive;
    this.fallback = fallback;
  }

  /**
   * The oldest record still retained.
   *
   * @return the start position
   */
  public static StartPosition earliest() {
    return EARLIEST;
  }

  /**
   * Only records sent after the consumer starts.
   *
   * @return the start position
   */
  public static StartPosition latest() {
    return LATEST;
  }

  /**
   * The first record whose timestamp is at or after {@code timestamp}.
   *
   * @param timestamp the timestamp
   * @return the first record whose timestamp is at or after {@code timestamp}
   */
  public static StartPosition atTimestamp(Instant timestamp) {
    return new StartPosition(
        Kind.AT_TIMESTAMP, Validation.notNull(timestamp, "timestamp"), null, false, null);
  }

  /**
   * Each listed shard starts at its position (the record there is read first); other shards start
   * at the earliest record unless {@link #orElse} says otherwise.
   *
   * @param positions the position to start at, per shard
   * @return each listed shard starts at its position (the record there is read first); other shards
   *     start at the earliest record unless {@link #orElse} says otherwise
   */
  public static StartPosition at(Map<Shard, Position> positions) {
    return new StartPosition(Kind.POSITIONS, null, copy(positions), true, EARLIEST);
  }

  /**
   * Shard {@code shard} starts at {@code position}; other shards at the earliest record.
   *
   * @param shard the shard
   * @param position the position
   * @return the start position
   */
  public static StartPosition at(Shard shard, Position position) {
    return at(Map.of(Validation.notNull(shard, "shard"), Validation.notNull(position, "position")));
  }

  /**
   * Each listed shard starts just after its position (the position of the last record the
   * application processed); other shards start at the earliest record unless {@link #orElse} says
   * otherwise.
   *
   * @param positions the position to start at, per shard
   * @return each listed shard starts just after its position (the position of the last record the
   *     application processed); other shards start at the earliest record unless {@link #orElse}
   *     says otherwise
   */
  public static StartPosition after(Map<Shard, Position> positions) {
    return new StartPosition(Kind.POSITIONS, null, copy(positions), false, EARLIEST);
  }

  private static Map<Shard, Position> copy(Map<Shard, Position> positions) {
    Validation.notNull(positions, "positions");
    positions.forEach(
        (shard, position) -> {
          Validation.notNull(shard, "positions (a shard)");
          Validation.notNull(position, "positions (the position of " + shard + ")");
        });
    return Map.copyOf(positions);
  }

  /**
   * For a position start: where the shards not listed start (earliest by default).
   *
   * @param otherShards where to start in the shards it does not name
   * @return the start position
   */
  public StartPosition orElse(StartPosition otherShards) {
    Validation.notNull(otherShards, "otherShards");
    if (kind != Kind.POSITIONS) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "orElse applies only to StartPosition.at or .after");
    }
    if (otherShards.kind == Kind.POSITIONS) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "The fallback of a position start must not be positions");
    }
    return new StartPosition(kind, null, positions, inclusive, otherShards);
  }

  /**
   * Which kind of start position this is.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }

  /**
   * For {@link Kind#AT_TIMESTAMP}: the instant.
   *
   * @return the instant, or null for another kind
   */
  public @Nullable Instant timestamp() {
    return timestamp;
  }

  /**
   * For {@link Kind#POSITIONS}: the given positions.
   *
   * @return the position to start at, per shard; empty for another kind
   */
  public Map<Shard, Position> positions() {
    return positions == null ? Map.of() : positions;
  }

  /**
   * For {@link Kind#POSITIONS}: true if the record at the position is read, false if it is skipped.
   *
   * @return true if the record at the position is read, false if it is skipped
   */
  public boolean isInclusive() {
    return inclusive;
  }

  /**
   * For {@link Kind#POSITIONS}: where shards that have no given position start.
   *
   * @return the start position
   */
  public StartPosition fallback() {
    return fallback == null ? EARLIEST : fallback;
  }

  /**
   * The start position for one shard: a given position if this is a position start that names it,
   * else the fallback (or this start itself).
   *
   * @param shard the shard
   * @return the start position for one shard: a given position if this is a position start that
   *     names it, else the fallback (or this start itself)
   */
  public StartPosition forShard(Shard shard) {
    Validation.notNull(shard, "shard");
    if (kind != Kind.POSITIONS) {
      return this;
    }
    Position p = positions().get(shard);
    if (p == null) {
      return fallback();
    }
    return new StartPosition(Kind.POSITIONS, null, Map.of(shard, p), inclusive, fallback);
  }

  @Override
  public String toString() {
    switch (kind) {
      case AT_TIMESTAMP:
        return "atTimestamp(" + timestamp + ")";
      case POSITIONS:
        return (inclusive ? "at" : "after") + positions + ".orElse(" + fallback() + ")";
      default:
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StartPosition)) {
      return false;
    }
    StartPosition s = (StartPosition) o;
    return kind == s.kind
        && inclusive == s.inclusive
        && Objects.equals(timestamp, s.timestamp)
        && Objects.equals(positions, s.positions)
        && Objects.equals(fallback, s.fallback);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, timestamp, positions, inclusive, fallback);
  }
}
