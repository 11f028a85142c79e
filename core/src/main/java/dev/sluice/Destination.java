package dev.sluice;

import dev.sluice.internal.Validation;

/**
 * A stream to write to, with the serdes of its keys and values: what a {@link Transaction} and a
 * processor's {@link Outputs} send to. A small immutable value; make one per stream and share it.
 *
 * <pre>{@code
 * Destination<String, String> orders = Destination.of("orders", Serde.string(), Serde.string());
 * Destination<String, String> audit = Destination.of("audit", Serde.string(), Serde.string());
 * producer.transaction(tx -> {
 *   tx.send(orders, "customer-7", "order #1");
 *   tx.send(audit, "customer-7", "placed order #1");
 * });
 * }</pre>
 *
 * <p>A transaction or a processor writes to several streams through one backend client, so a stream
 * is named per send rather than per producer; the serdes travel with the name so that each send
 * stays typed.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class Destination<K, V> {
  private final String stream;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;

  private Destination(String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    this.stream = stream;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /**
   * The stream {@code stream}, with these serdes.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param stream the stream's name
   * @param keySerde the serde for keys
   * @param valueSerde the serde for values
   * @return the stream {@code stream}, with these serdes
   * @throws SluiceException {@code INVALID_ARGUMENT} for a null argument or a bad stream name
   */
  public static <K, V> Destination<K, V> of(String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    Validation.streamName(stream);
    return new Destination<>(
        stream,
        Validation.notNull(keySerde, "keySerde"),
        Validation.notNull(valueSerde, "valueSerde"));
  }

  /**
   * The stream {@code stream}, keys and values as raw bytes.
   *
   * @param stream the stream's name
   * @return the stream {@code stream}, keys and values as raw bytes
   */
  public static Destination<byte[], byte[]> bytes(String stream) {
    return of(stream, Serde.bytes(), Serde.bytes());
  }

  /**
   * The stream records go to.
   *
   * @return the stream's name
   */
  public String stream() {
    return stream;
  }

  /**
   * The serde that writes keys.
   *
   * @return the key serde
   */
  public Serde<K> keySerde() {
    return keySerde;
  }

  /**
   * The serde that writes values.
   *
   * @return the value serde
   */
  public Serde<V> valueSerde() {
    return valueSerde;
  }

  /** Equal if they name the same stream with the same serdes. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Destination
        && ((Destination<?, ?>) o).stream.equals(stream)
        && ((Destination<?, ?>) o).keySerde.equals(keySerde)
        && ((Destination<?, ?>) o).valueSerde.equals(valueSerde);
  }

  @Override
  public int hashCode() {
    return stream.hashCode();
  }

  @Override
  public String toString() {
    return "Destination{" + stream + "}";
  }
}
