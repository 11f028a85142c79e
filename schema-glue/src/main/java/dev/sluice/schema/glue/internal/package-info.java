/** The serdes and the error mapping behind {@code dev.sluice.schema.glue}. */
@NullMarked
package dev.sluice.schema.glue.internal;

import org.jspecify.annotations.NullMarked;
