package com.example.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest
class BillingApplicationTest {
  @Autowired Sluice sluice;
  @Autowired BillingApplication.Ledger ledger;

  @Test
  void billsTheOrdersSentToTheStream() throws Exception {
    try (Producer<String, String> producer =
        sluice.producer("orders", Serde.string(), Serde.string())) {
      producer.send("customer-7", "order-1").join();
      producer.send("customer-7", "order-2").join();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ledger.bills().size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20); // polling what the service did, with a deadline
    }
    assertThat(ledger.bills()).containsExactly("customer-7:order-1", "customer-7:order-2");
  }
}
