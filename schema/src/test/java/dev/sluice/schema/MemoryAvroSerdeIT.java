package dev.sluice.schema;

import dev.sluice.Sluice;

/** The Avro serdes on the in-memory backend. */
class MemoryAvroSerdeIT extends AvroSerdeContract {
  @Override
  Sluice openSluice() {
    return Sluice.builder().ignoreEnvironment().backend("memory").open();
  }
}
