/**
 * AWS Glue Schema Registry serdes: {@link dev.sluice.schema.glue.GlueAvroSerde} and {@link
 * dev.sluice.schema.glue.GlueProtobufSerde} over a {@link
 * dev.sluice.schema.glue.GlueSchemaRegistry}, in Glue's wire format, written and read through AWS's
 * own serde library, the same on every backend.
 */
@NullMarked
package dev.sluice.schema.glue;

import org.jspecify.annotations.NullMarked;
