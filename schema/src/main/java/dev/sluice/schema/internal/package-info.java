/** The registry client, the wire format and the serde behind {@code dev.sluice.schema}. */
@NullMarked
package dev.sluice.schema.internal;

import org.jspecify.annotations.NullMarked;
