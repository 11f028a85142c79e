/**
 * Sluice's shared machinery behind the portable API: configuration, validation, the producer and
 * consumer engines around the SPI. Not an API: it may change in any release.
 */
@NullMarked
package dev.sluice.internal;

import org.jspecify.annotations.NullMarked;
