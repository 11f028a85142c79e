package com.example.orders;

import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;

/** What a user writes: only dev.sluice types, the backend chosen by configuration. */
public final class Orders {
  private Orders() {}

  public static void main(String[] args) {
    try (Sluice sluice = Sluice.open()) {
      sluice.admin().createStream("orders", StreamSpec.withShards(2));
      try (Producer<String, String> producer =
          sluice.producer("orders", Serde.string(), Serde.string())) {
        System.out.println(producer.send("customer-7", "order #1").join().position());
      }
    }
  }
}
