package dev.sluice.examples.boot;

import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import org.springframework.stereotype.Component;

/** Takes orders and sends them to the "orders" stream, keyed by customer. */
@Component
public class OrderDesk implements AutoCloseable {
  /** The stream orders travel on. */
  public static final String STREAM = "orders";

  private final Sluice sluice;
  private Producer<String, String> producer; // guarded by this; opened on first use

  /**
   * A desk sending through this Sluice (the auto-configured bean).
   *
   * @param sluice the application's Sluice
   */
  public OrderDesk(Sluice sluice) {
    this.sluice = sluice;
  }

  /**
   * Sends an order and waits until the broker has stored it.
   *
   * @param customer who orders: the record's key
   * @param order what they order
   */
  public void take(String customer, Order order) {
    producer().send(customer, order.format()).join();
  }

  // Opened on first use, not in the constructor: the stream is created when the context starts,
  // after the beans exist.
  private synchronized Producer<String, String> producer() {
    if (producer == null) {
      producer = sluice.producer(STREAM, Serde.string(), Serde.string());
    }
    return producer;
  }

  /** Flushes and closes the producer; Spring calls it on shutdown. */
  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close();
      producer = null;
    }
  }
}
