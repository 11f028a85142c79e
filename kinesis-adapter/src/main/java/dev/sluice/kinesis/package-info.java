/**
 * The {@code kinesis} backend: Sluice on Amazon Kinesis Data Streams.
 *
 * <p>Select it with {@code sluice.backend=kinesis} and configure it with {@code sluice.kinesis.*}
 * keys, or build the map with {@link dev.sluice.kinesis.KinesisOptions}. Producers write with
 * {@code PutRecords}; group consumers run the Kinesis Client Library 3 (leases and checkpoints in a
 * DynamoDB table); standalone consumers read every shard directly. Headers travel in a small
 * envelope described in {@code docs/kinesis-envelope.md}. The implementation lives in {@code
 * dev.sluice.kinesis.internal}, which is not an API.
 */
@NullMarked
package dev.sluice.kinesis;

import org.jspecify.annotations.NullMarked;
