package dev.sluice.testkit;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.assertj.core.api.AbstractAssert;
import org.jspecify.annotations.Nullable;

/**
 * Assertions on a list of records in the order a consumer received them; made by {@link
 * SluiceAssertions#assertThat(List)}. Keys and values are compared by content, also when they are
 * {@code byte[]}.
 *
 * <pre>{@code
 * assertThat(received)
 *     .hasSize(4)
 *     .containsValues("a1", "b1")
 *     .haveValuesInOrderPerKey(Map.of("a", List.of("a1", "a2"), "b", List.of("b1", "b2")));
 * }</pre>
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class RecordsAssert<K, V>
    extends AbstractAssert<RecordsAssert<K, V>, List<Record<K, V>>> {
  RecordsAssert(List<Record<K, V>> actual) {
    super(actual, RecordsAssert.class);
  }

  /**
   * There are exactly {@code count} records.
   *
   * @param count the number of records expected
   * @return this assertion
   */
  public RecordsAssert<K, V> hasSize(int count) {
    isNotNull();
    if (actual.size() != count) {
      failWithMessage("Expected %s records but got %s: %s", count, actual.size(), brief(actual));
    }
    return this;
  }

  /**
   * There are no records.
   *
   * @return this assertion
   */
  public RecordsAssert<K, V> isEmpty() {
    return hasSize(0);
  }

  /**
   * The keys, in order, are exactly these.
   *
   * @param keys the keys expected, in order
   * @return this assertion
   */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read, never stored or exposed
  public final RecordsAssert<K, V> hasKeysInOrder(@Nullable K... keys) {
    isNotNull();
    List<Object> expected = normalize(Arrays.asList(keys));
    List<Object> got = normalize(keys());
    if (!got.equals(expected)) {
      failWithMessage("Expected the keys in order%n  %s%nbut got%n  %s", expected, got);
    }
    return this;
  }

  /**
   * The values, in order, are exactly these.
   *
   * @param values the values expected
   * @return this assertion
   */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read, never stored or exposed
  public final RecordsAssert<K, V> hasValuesInOrder(V... values) {
    return hasValuesInOrder(Arrays.asList(values));
  }

  /**
   * The values, in order, are exactly these.
   *
   * @param values the values expected
   * @return this assertion
   */
  public RecordsAssert<K, V> hasValuesInOrder(List<? extends V> values) {
    isNotNull();
    List<Object> expected = normalize(values);
    List<Object> got = normalize(values());
    if (!got.equals(expected)) {
      failWithMessage("Expected the values in order%n  %s%nbut got%n  %s", expected, got);
    }
    return this;
  }

  /**
   * Every one of these values was received (in any order, possibly among others).
   *
   * @param values the values expected
   * @return this assertion
   */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read, never stored or exposed
  public final RecordsAssert<K, V> containsValues(V... values) {
    return containsValues(Arrays.asList(values));
  }

  /**
   * Every one of these values was received (in any order, possibly among others).
   *
   * @param values the values expected
   * @return this assertion
   */
  public RecordsAssert<K, V> containsValues(List<? extends V> values) {
    isNotNull();
    List<Object> got = normalize(values());
    List<Object> missing = new ArrayList<>();
    for (Object v : normalize(values)) {
      if (!got.contains(v)) {
        missing.add(v);
      }
    }
    if (!missing.isEmpty()) {
      failWithMessage(
          "Expected the records to contain the values %s but %s are missing (got %s records)",
          values.size(), missing, got.size());
    }
    return this;
  }

  /**
   * None of these values was received.
   *
   * @param values the values expected
   * @return this assertion
   */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read, never stored or exposed
  public final RecordsAssert<K, V> doesNotContainValues(V... values) {
    return doesNotContainValues(Arrays.asList(values));
  }

  /**
   * None of these values was received.
   *
   * @param values the values expected
   * @return this assertion
   */
  public RecordsAssert<K, V> doesNotContainValues(List<? extends V> values) {
    isNotNull();
    List<Object> got = normalize(values());
    List<Object> found = new ArrayList<>();
    for (Object v : normalize(values)) {
      if (got.contains(v)) {
        found.add(v);
      }
    }
    if (!found.isEmpty()) {
      failWithMessage("Expected the records not to contain %s", found);
    }
    return this;
  }

  /**
   * These values were received, each exactly once, and nothing else (in any order).
   *
   * @param values the values expected
   * @return this assertion
   */
  public RecordsAssert<K, V> hasValuesExactlyOnce(List<? extends V> values) {
    isNotNull();
    Map<Object, Integer> expected = counts(normalize(values));
    Map<Object, Integer> got = counts(normalize(values()));
    List<Object> missing = new ArrayList<>();
    List<Object> repeated = new ArrayList<>();
    List<Object> unexpected = new ArrayList<>();
    expected
        .keySet()
        .forEach(
            v -> {
              if (!got.containsKey(v)) {
                missing.add(v);
              }
            });
    got.forEach(
        (v, n) -> {
          if (!expected.containsKey(v)) {
            unexpected.add(v);
          } else if (n > 1) {
            repeated.add(v + " x" + n);
          }
        });
    if (!missing.isEmpty() || !repeated.isEmpty() || !unexpected.isEmpty()) {
      failWithMessage(
          "Expected %s values exactly once; got %s records%n  missing: %s%n  repeated: %s%n"
              + "  unexpected: %s",
          expected.size(), actual.size(), cap(missing), cap(repeated), cap(unexpected));
    }
    return this;
  }

  /**
   * No value was received twice.
   *
   * @return this assertion
   */
  public RecordsAssert<K, V> hasNoDuplicateValues() {
    isNotNull();
    List<Object> repeated = new ArrayList<>();
    counts(normalize(values()))
        .forEach(
            (v, n) -> {
              if (n > 1) {
                repeated.add(v + " x" + n);
              }
            });
    if (!repeated.isEmpty()) {
      failWithMessage("Expected no value twice but got %s", cap(repeated));
    }
    return this;
  }

  /**
   * For each key, the values received (in order, duplicates included) are exactly the expected
   * list: nothing lost, nothing repeated, no key reordered. Records with keys not in {@code
   * expected} fail the assertion.
   *
   * @param expected per key, the values expected in their order
   * @return this assertion
   */
  public RecordsAssert<K, V> haveValuesInOrderPerKey(Map<K, ? extends List<? extends V>> expected) {
    isNotNull();
    Map<Object, List<Object>> want = new LinkedHashMap<>();
    expected.forEach((k, vs) -> want.put(normalize(k), normalize(vs)));
    Map<Object, List<Object>> got = valuesPerKey();
    List<String> problems = new ArrayList<>();
    for (Map.Entry<Object, List<Object>> e : want.entrySet()) {
      List<Object> g = got.getOrDefault(e.getKey(), List.of());
      if (!g.equals(e.getValue())) {
        problems.add("key " + e.getKey() + ": expected " + e.getValue() + " but got " + g);
      }
    }
    for (Object k : got.keySet()) {
      if (!want.containsKey(k)) {
        problems.add("key " + k + " was not expected: " + got.get(k));
      }
    }
    if (!problems.isEmpty()) {
      failWithMessage("Values per key differ:%n  %s", String.join("\n  ", cap(problems)));
    }
    return this;
  }

  /**
   * For each key, the values arrive in the order of {@code order} (each later value is greater than
   * or equal to the one before, so redelivered runs are allowed only if they restart no earlier).
   * Use values that carry a sequence number.
   *
   * @param order the order the values of one key must follow
   * @return this assertion
   */
  public RecordsAssert<K, V> isOrderedPerKey(Comparator<? super V> order) {
    isNotNull();
    Map<Object, V> last = new HashMap<>();
    for (Record<K, V> r : actual) {
      Object key = normalize(r.key());
      V previous = last.get(key);
      if (previous != null && order.compare(previous, r.value()) > 0) {
        failWithMessage(
            "Key %s is out of order: %s came after %s", key, show(r.value()), show(previous));
      }
      last.put(key, r.value());
    }
    return this;
  }

  /**
   * Within each shard, every record's position is greater than the one before it.
   *
   * @return this assertion
   */
  public RecordsAssert<K, V> hasIncreasingPositionsPerShard() {
    isNotNull();
    Map<Shard, Position> last = new HashMap<>();
    for (Record<K, V> r : actual) {
      Shard shard = r.shard();
      Position p = r.position();
      if (shard == null || p == null) {
        failWithMessage("Record %s was not received from a shard", r);
        return this;
      }
      Position previous = last.put(shard, p);
      if (previous != null && !p.isAfter(previous)) {
        failWithMessage("In shard %s, position %s came after %s", shard, p, previous);
      }
    }
    return this;
  }

  /**
   * Every record came from this shard.
   *
   * @param shard the shard every record must come from
   * @return this assertion
   */
  public RecordsAssert<K, V> areAllFromShard(Shard shard) {
    isNotNull();
    for (Record<K, V> r : actual) {
      if (!shard.equals(r.shard())) {
        failWithMessage("Expected every record from shard %s but %s is not", shard, r);
      }
    }
    return this;
  }

  private List<@Nullable K> keys() {
    List<@Nullable K> keys = new ArrayList<>();
    actual.forEach(r -> keys.add(r.key()));
    return keys;
  }

  private List<V> values() {
    return actual.stream().map(Record::value).collect(Collectors.toList());
  }

  private Map<Object, List<Object>> valuesPerKey() {
    Map<Object, List<Object>> out = new LinkedHashMap<>();
    for (Record<K, V> r : actual) {
      out.computeIfAbsent(normalize(r.key()), k -> new ArrayList<>()).add(normalize(r.value()));
    }
    return out;
  }

  private static Map<Object, Integer> counts(List<Object> values) {
    Map<Object, Integer> counts = new LinkedHashMap<>();
    values.forEach(v -> counts.merge(v, 1, Integer::sum));
    return counts;
  }

  /**
   * byte[] compares by identity: wrap it so lists and maps compare content.
   *
   * @param values the values expected
   * @return this assertion
   */
  private static List<Object> normalize(List<?> values) {
    List<Object> out = new ArrayList<>(values.size());
    values.forEach(v -> out.add(normalize(v)));
    return out;
  }

  private static Object normalize(@Nullable Object value) {
    if (value == null) {
      return NullKey.INSTANCE;
    }
    if (value instanceof byte[]) {
      return new Bytes((byte[]) value);
    }
    return value;
  }

  private static String show(@Nullable Object o) {
    return String.valueOf(normalize(o));
  }

  private static <T> List<T> cap(List<T> items) {
    return items.size() <= 20 ? items : items.subList(0, 20);
  }

  private static String brief(List<?> records) {
    return records.size() <= 10
        ? records.toString()
        : records.subList(0, 10) + " ... (" + (records.size() - 10) + " more)";
  }

  /** A null key, shown as such. */
  private enum NullKey {
    INSTANCE;

    @Override
    public String toString() {
      return "<no key>";
    }
  }

  /** Bytes compared by content. */
  private static final class Bytes {
    private final byte[] bytes;

    Bytes(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes && Arrays.equals(((Bytes) o).bytes, bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return bytes.length <= 32
          ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
          : "byte[" + bytes.length + "]";
    }
  }
}
