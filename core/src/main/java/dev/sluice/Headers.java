package dev.sluice;

import dev.sluice.internal.Validation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The headers of a record: an ordered list of name → bytes pairs, where a name may repeat.
 * Immutable. Kafka carries them natively; on Kinesis Sluice carries them in a small documented
 * envelope.
 *
 * <pre>{@code
 * Headers headers = Headers.builder().add("trace-id", "abc123").add("attempt", "1").build();
 * String trace = headers.lastString("trace-id");
 * }</pre>
 */
public final class Headers implements Iterable<Headers.Header> {
  private static final Headers EMPTY = new Headers(Collections.emptyList());

  private final List<Header> headers;

  private Headers(List<Header> headers) {
    this.headers = headers;
  }

  /**
   * No headers.
   *
   * @return the headers
   */
  public static Headers empty() {
    return EMPTY;
  }

  /**
   * A builder that starts empty.
   *
   * @return a builder that starts empty
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder that starts with these headers, to add more.
   *
   * @return this builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.headers.addAll(headers);
    return b;
  }

  /**
   * The number of headers (repeated names counted each time).
   *
   * @return the number of headers (repeated names counted each time)
   */
  public int size() {
    return headers.size();
  }

  /**
   * Whether there are no headers.
   *
   * @return true if there are none
   */
  public boolean isEmpty() {
    return headers.isEmpty();
  }

  /**
   * All headers in order.
   *
   * @return all headers in order
   */
  public List<Header> asList() {
    return headers;
  }

  /**
   * The value of the last header with this name, or null.
   *
   * @param name the name
   * @return the value of the last header with this name, or null
   */
  public byte @Nullable [] last(String name) {
    Validation.notNull(name, "name");
    for (int i = headers.size() - 1; i >= 0; i--) {
      if (headers.get(i).name.equals(name)) {
        return headers.get(i).value();
      }
    }
    return null;
  }

  /**
   * The value of the last header with this name as UTF-8 text, or null.
   *
   * @param name the name
   * @return the value of the last header with this name as UTF-8 text, or null
   */
  public @Nullable String lastString(String name) {
    byte[] value = last(name);
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /**
   * The values of every header with this name, in order.
   *
   * @param name the name
   * @return the values of every header with this name, in order
   */
  public List<byte[]> all(String name) {
    Validation.notNull(name, "name");
    List<byte[]> values = new ArrayList<>();
    for (Header h : headers) {
      if (h.name.equals(name)) {
        values.add(h.value());
      }
    }
    return values;
  }

  @Override
  public Iterator<Header> iterator() {
    return headers.iterator();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Headers && ((Headers) o).headers.equals(headers);
  }

  @Override
  public int hashCode() {
    return headers.hashCode();
  }

  @Override
  public String toString() {
    return headers.toString();
  }

  /** One header: a name (non-empty text) and a value (bytes, possibly empty). */
  public static final class Header {
    private final String name;
    private final byte[] value;

    private Header(String name, byte[] value) {
      this.name = name;
      this.value = value;
    }

    /**
     * A header; the value is copied.
     *
     * @param name the name
     * @param value the record's value, or null
     * @return a header; the value is copied
     */
    public static Header of(String name, byte[] value) {
      Validation.notNull(name, "name");
      Validation.notNull(value, "value");
      return new Header(name, value.clone());
    }

    /**
     * The header's name.
     *
     * @return the name
     */
    public String name() {
      return name;
    }

    /**
     * A copy of the value.
     *
     * @return a copy of the value
     */
    public byte[] value() {
      return value.clone();
    }

    /**
     * The value read as UTF-8 text.
     *
     * @return the value read as UTF-8 text
     */
    public String valueAsString() {
      return new String(value, StandardCharsets.UTF_8);
    }

    /**
     * The length of the value in bytes, without copying it.
     *
     * @return the length of the value in bytes, without copying it
     */
    public int valueLength() {
      return value.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Header
          && ((Header) o).name.equals(name)
          && Arrays.equals(((Header) o).value, value);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return name + "=" + valueAsString();
    }
  }

  /** Builds {@link Headers}; names and values are checked when a record is sent. */
  public static final class Builder {
    private final List<Header> headers = new ArrayList<>();

    private Builder() {}

    /**
     * Adds a header (a name may be added more than once).
     *
     * @param name the name
     * @param value the record's value, or null
     * @return this builder
     */
    public Builder add(String name, byte[] value) {
      headers.add(Header.of(name, value));
      return this;
    }

    /**
     * Adds a header with a UTF-8 text value.
     *
     * @param name the name
     * @param value the record's value, or null
     * @return this builder
     */
    public Builder add(String name, String value) {
      Validation.notNull(value, "value");
      headers.add(
          new Header(Validation.notNull(name, "name"), value.getBytes(StandardCharsets.UTF_8)));
      return this;
    }

    /**
     * Adds every header of {@code other}.
     *
     * @param other the position to compare with
     * @return this builder
     */
    public Builder addAll(Headers other) {
      headers.addAll(Validation.notNull(other, "other").headers);
      return this;
    }

    /**
     * Removes every header with this name.
     *
     * @param name the name
     * @return this builder
     */
    public Builder remove(String name) {
      Validation.notNull(name, "name");
      headers.removeIf(h -> h.name.equals(name));
      return this;
    }

    /**
     * The headers added to this builder.
     *
     * @return the headers
     */
    public Headers build() {
      return headers.isEmpty() ? EMPTY : new Headers(List.copyOf(headers));
    }
  }
}
