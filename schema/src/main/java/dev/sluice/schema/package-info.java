/**
 * Schema-registry serdes: {@link dev.sluice.schema.AvroSerde} and {@link
 * dev.sluice.schema.ProtobufSerde} over a Confluent-compatible {@link
 * dev.sluice.schema.SchemaRegistry}, in the Confluent wire format, the same on every backend.
 */
@NullMarked
package dev.sluice.schema;

import org.jspecify.annotations.NullMarked;
