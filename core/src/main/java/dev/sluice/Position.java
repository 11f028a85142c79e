package dev.sluice;

import dev.sluice.internal.Validation;
import java.util.Objects;

/**
 * Where a record sits in its shard: a Kafka offset, a Kinesis sequence number (plus the
 * sub-sequence of a record inside a KPL-aggregated record), a memory offset.
 *
 * <p>Positions are opaque to applications, comparable within one shard (a later record has a
 * greater position), and round-trip through a string: {@code Position.parse(p.toString())} equals
 * {@code p}. Store that string to remember how far you got.
 */
public final class Position implements Comparable<Position> {
  private static final String DIGITS_ERROR =
      "A position is a non-negative decimal number, optionally followed by ':' and a sub-sequence"
          + " number";

  // A position is a non-negative integer of any size (Kinesis sequence numbers have ~56 digits)
  // plus a sub-sequence. Offsets that fit a long are kept as a long so the Kafka and memory hot
  // paths allocate nothing but this object.
  private final long offset;
  private final String digits;
  private final long subSequence;

  private Position(long offset, String digits, long subSequence) {
    this.offset = offset;
    this.digits = digits;
    this.subSequence = subSequence;
  }

  /**
   * The position at this offset (Kafka, memory).
   *
   * @param offset the offset, 0 or more
   * @return the position at this offset (Kafka, memory)
   */
  public static Position of(long offset) {
    if (offset < 0) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "A position must not be negative: " + offset);
    }
    return new Position(offset, null, 0);
  }

  /**
   * The position at this sequence number (Kinesis), a decimal string.
   *
   * @param sequenceNumber the sequence number, a decimal string
   * @return the position at this sequence number (Kinesis), a decimal string
   */
  public static Position of(String sequenceNumber) {
    return of(sequenceNumber, 0);
  }

  /**
   * The position at this sequence number and sub-sequence (a record of an aggregated record).
   *
   * @param sequenceNumber the sequence number, a decimal string
   * @param subSequence the index of the user record in an aggregated record
   * @return the position at this sequence number and sub-sequence (a record of an aggregated
   *     record)
   */
  public static Position of(String sequenceNumber, long subSequence) {
    Validation.notNull(sequenceNumber, "sequenceNumber");
    if (sequenceNumber.isEmpty() || subSequence < 0) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, DIGITS_ERROR + ": " + sequenceNumber);
    }
    for (int i = 0; i < sequenceNumber.length(); i++) {
      if (!Character.isDigit(sequenceNumber.charAt(i)) || sequenceNumber.charAt(i) > '9') {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, DIGITS_ERROR + ": '" + sequenceNumber + "'");
      }
    }
    String trimmed = stripLeadingZeros(sequenceNumber);
    if (trimmed.length() <= 18) {
      return new Position(Long.parseLong(trimmed), null, subSequence);
    }
    return new Position(-1, trimmed, subSequence);
  }

  /**
   * Parses what {@link #toString()} wrote.
   *
   * @param text the text {@link #toString()} wrote
   * @return the position
   */
  public static Position parse(String text) {
    Validation.notNull(text, "text");
    int colon = text.indexOf(':');
    if (colon < 0) {
      return of(text, 0);
    }
    String sub = text.substring(colon + 1);
    try {
      return of(text.substring(0, colon), Long.parseLong(sub));
    } catch (NumberFormatException e) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, DIGITS_ERROR + ": '" + text + "'", e);
    }
  }

  /**
   * True if the sequence fits a {@code long} (always so on Kafka and memory).
   *
   * @return true if the sequence fits a {@code long} (always so on Kafka and memory)
   */
  public boolean isOffset() {
    return digits == null;
  }

  /**
   * The offset (Kafka, memory).
   *
   * @return the offset (Kafka, memory)
   * @throws SluiceException {@code INVALID_ARGUMENT} if the sequence does not fit a long
   */
  public long offset() {
    if (digits != null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Position " + this + " is not an offset of this backend");
    }
    return offset;
  }

  /**
   * The sequence number as a decimal string (Kinesis).
   *
   * @return the sequence number as a decimal string (Kinesis)
   */
  public String sequenceNumber() {
    return digits != null ? digits : Long.toString(offset);
  }

  /**
   * The sub-sequence within an aggregated record; 0 for ordinary records.
   *
   * @return the sub-sequence within an aggregated record; 0 for ordinary records
   */
  public long subSequence() {
    return subSequence;
  }

  @Override
  public int compareTo(Position other) {
    int bySequence;
    if (digits == null && other.digits == null) {
      bySequence = Long.compare(offset, other.offset);
    } else {
      String a = sequenceNumber();
      String b = other.sequenceNumber();
      bySequence =
          a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
    }
    return bySequence != 0 ? bySequence : Long.compare(subSequence, other.subSequence);
  }

  /**
   * True if this position is after {@code other} in the same shard.
   *
   * @param other the position to compare with
   * @return true if this position is after {@code other} in the same shard
   */
  public boolean isAfter(Position other) {
    Validation.notNull(other, "other");
    return compareTo(other) > 0;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Position)) {
      return false;
    }
    Position p = (Position) o;
    return offset == p.offset && subSequence == p.subSequence && Objects.equals(digits, p.digits);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(offset) * 31 + Objects.hashCode(digits) * 17 + Long.hashCode(subSequence);
  }

  /**
   * The string form, e.g. {@code "42"} or {@code
   * "49590338271490256608559692538361571095921575989136588898:3"}.
   */
  @Override
  public String toString() {
    String sequence = sequenceNumber();
    return subSequence == 0 ? sequence : sequence + ":" + subSequence;
  }

  private static String stripLeadingZeros(String s) {
    int i = 0;
    while (i < s.length() - 1 && s.charAt(i) == '0') {
      i++;
    }
    return s.substring(i);
  }
}
