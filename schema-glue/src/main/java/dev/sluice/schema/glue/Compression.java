package dev.sluice.schema.glue;

/** How the record after Glue's header is stored: Glue's compression byte. */
public enum Compression {
  /** Stored as is (compression byte {@code 0}). */
  NONE,
  /** Compressed with zlib (compression byte {@code 5}); Glue's readers inflate it. */
  ZLIB
}
