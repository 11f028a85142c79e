package dev.sluice.schema.glue;

import dev.sluice.Sluice;

/** The Glue serdes on the in-memory backend. */
class MemoryGlueSerdeIT extends GlueSerdeContract {
  @Override
  Sluice openSluice() {
    return Sluice.builder().ignoreEnvironment().backend("memory").open();
  }
}
