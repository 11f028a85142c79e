package dev.sluice.examples.boot;

/**
 * An order as it travels on the stream: {@code id:cents} (the customer is the record's key, so a
 * customer's orders stay in one shard, in order).
 *
 * @param id the order's id
 * @param cents its amount in cents
 */
public record Order(String id, long cents) {

  /**
   * Reads an order from its stream form.
   *
   * @param text {@code id:cents}
   * @return the order
   */
  public static Order parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("not an order (id:cents): " + text);
    }
    return new Order(text.substring(0, colon), Long.parseLong(text.substring(colon + 1)));
  }

  /**
   * The stream form.
   *
   * @return {@code id:cents}
   */
  public String format() {
    return id + ":" + cents;
  }
}
