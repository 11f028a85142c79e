package dev.sluice.examples.boot;

import dev.sluice.Serde;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.spring.boot.NewStream;
import dev.sluice.spring.boot.SluiceListener;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot service that bills orders: a listener in the consumer group "billing" adds every
 * order on the "orders" stream to the {@link Ledger}, and {@link OrderDesk} takes orders and sends
 * them. Nothing here names a broker: {@code sluice.backend} and the backend's address are
 * properties (application.properties, {@code --sluice.backend=kafka} on the command line, {@code
 * SLUICE_BACKEND=kinesis} in the environment, or {@code -Dsluice.config.file=...}).
 *
 * <p>Run as it is, it uses the embedded memory backend, sends a few demo orders, prints the
 * customers' totals and exits ({@code billing.demo-orders}, {@code billing.exit-when-done}).
 */
@SpringBootApplication
public class BillingService {

  /**
   * Starts the service.
   *
   * @param args Boot's command line, e.g. {@code --sluice.backend=kafka}
   */
  public static void main(String[] args) {
    SpringApplication.run(BillingService.class, args);
  }

  /** Created at start when it does not exist, before the listener starts. */
  @Bean
  NewStream orders() {
    return NewStream.of(OrderDesk.STREAM, StreamSpec.withShards(2));
  }

  /**
   * Group "billing" (the bean's name): started once every bean exists, closed first on shutdown,
   * its checkpoints written, so a restart bills no order twice.
   */
  @Bean
  SluiceListener<String, String> billing(Ledger ledger) {
    return SluiceListener.on(OrderDesk.STREAM, Serde.string(), Serde.string())
        .configure(consumer -> consumer.startPosition(StartPosition.earliest()))
        .handler(record -> ledger.bill(record.key(), Order.parse(record.value())));
  }
}
