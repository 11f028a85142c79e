package dev.sluice.examples.boot;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ApplicationContext;
import org.springframework.stereotype.Component;

/**
 * Once the service runs, takes {@code billing.demo-orders} orders for three customers, waits until
 * the ledger has billed them, prints the totals, and, with {@code billing.exit-when-done}, stops
 * the service (so {@code exec:java} returns).
 */
@Component
public class DemoOrders implements ApplicationRunner {
  private static final Logger LOG = LoggerFactory.getLogger(DemoOrders.class);

  private final OrderDesk desk;
  private final Ledger ledger;
  private final ApplicationContext context;
  private final int orders;
  private final boolean exitWhenDone;

  /**
   * Created by Spring.
   *
   * @param desk where orders are taken
   * @param ledger what billing did
   * @param context the application, stopped when done if asked
   * @param orders how many demo orders to take
   * @param exitWhenDone whether to stop the service once they are billed
   */
  public DemoOrders(
      OrderDesk desk,
      Ledger ledger,
      ApplicationContext context,
      @Value("${billing.demo-orders:0}") int orders,
      @Value("${billing.exit-when-done:false}") boolean exitWhenDone) {
    this.desk = desk;
    this.ledger = ledger;
    this.context = context;
    this.orders = orders;
    this.exitWhenDone = exitWhenDone;
  }

  @Override
  public void run(ApplicationArguments args) throws Exception {
    if (orders <= 0) {
      return;
    }
    int before = ledger.billed().size();
    for (int i = 1; i <= orders; i++) {
      desk.take("customer-" + (i % 3), new Order("order-" + i, 100L * i));
    }
    if (ledger.awaitBilled(before + orders, Duration.ofSeconds(120))) {
      System.out.println("Billed " + orders + " orders; totals in cents: " + ledger.totals());
    } else {
      LOG.warn("Only {} of {} orders billed after 120 s", ledger.billed().size() - before, orders);
    }
    if (exitWhenDone) {
      System.exit(SpringApplication.exit(context));
    }
  }
}
