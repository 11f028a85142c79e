package dev.sluice.examples.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.stereotype.Component;

/** What billing did: every order billed, in the order billed, and each customer's total. */
@Component
public class Ledger {
  private final List<String> billed = new ArrayList<>(); // guarded by this
  private final Map<String, Long> totals = new TreeMap<>(); // guarded by this

  /** Created by Spring. */
  public Ledger() {}

  /**
   * Bills one order.
   *
   * @param customer who pays
   * @param order what they pay for
   */
  public synchronized void bill(String customer, Order order) {
    billed.add(customer + "/" + order.id());
    totals.merge(customer, order.cents(), Long::sum);
    notifyAll();
  }

  /**
   * The orders billed so far, each as {@code customer/orderId}, in the order billed.
   *
   * @return a copy
   */
  public synchronized List<String> billed() {
    return List.copyOf(billed);
  }

  /**
   * Each customer's total so far.
   *
   * @return customer to cents, sorted by customer
   */
  public synchronized Map<String, Long> totals() {
    return Collections.unmodifiableMap(new TreeMap<>(totals));
  }

  /**
   * Waits until at least {@code count} orders are billed.
   *
   * @param count the orders to wait for
   * @param timeout how long to wait at most
   * @return whether they were billed in time
   * @throws InterruptedException if interrupted while waiting
   */
  public synchronized boolean awaitBilled(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (billed.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      Duration wait = Duration.ofNanos(left);
      wait(Math.max(1, wait.toMillis()));
    }
    return true;
  }
}
