package com.example.billing;

import dev.sluice.Serde;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.spring.boot.NewStream;
import dev.sluice.spring.boot.SluiceListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Bills every order on the "orders" stream; the backend comes from sluice.* properties. */
@SpringBootApplication
public class BillingApplication {

  public static void main(String[] args) {
    SpringApplication.run(BillingApplication.class, args);
  }

  /** Created at start when missing, before the listener starts. */
  @Bean
  NewStream orders() {
    return NewStream.of("orders", StreamSpec.withShards(2));
  }

  /** Group "billing" (the bean's name); checkpoints written on shutdown. */
  @Bean
  SluiceListener<String, String> billing(Ledger ledger) {
    return SluiceListener.on("orders", Serde.string(), Serde.string())
        .configure(consumer -> consumer.startPosition(StartPosition.earliest()))
        .handler(record -> ledger.bill(record.key(), record.value()));
  }

  @Bean
  Ledger ledger() {
    return new Ledger();
  }

  /** What the service did, for its test. */
  public static class Ledger {
    private final List<String> bills = new CopyOnWriteArrayList<>();

    void bill(String customer, String order) {
      bills.add(customer + ":" + order);
    }

    public List<String> bills() {
      return bills;
    }
  }
}
