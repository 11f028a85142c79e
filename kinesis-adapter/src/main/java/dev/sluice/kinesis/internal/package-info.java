/**
 * The Kinesis backend behind Sluice's SPI. Not an API: applications use {@code dev.sluice} and
 * {@link dev.sluice.kinesis.KinesisOptions}; this package may change in any release.
 */
@NullMarked
package dev.sluice.kinesis.internal;

import org.jspecify.annotations.NullMarked;
