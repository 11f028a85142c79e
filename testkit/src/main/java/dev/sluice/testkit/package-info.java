/**
 * The Sluice conformance kit and test helpers.
 *
 * <ul>
 *   <li>{@link dev.sluice.testkit.SluiceConformanceTest}: the tests every backend must pass; a
 *       backend's test extends it and supplies a {@link dev.sluice.testkit.ConformanceHarness}. The
 *       tests live in areas (records, routing, groups, ...), one package-private file each, which
 *       the kit assembles; its Javadoc says how to add one.
 *   <li>{@link dev.sluice.testkit.SluiceAssertions}: AssertJ assertions on received records, for
 *       applications' own tests.
 *   <li>{@link dev.sluice.testkit.RecordCollector} and {@link dev.sluice.testkit.Await}: drain a
 *       stream and wait for a condition without sleeping blindly.
 * </ul>
 *
 * <p>Everything here uses only the public {@code dev.sluice} API.
 */
@NullMarked
package dev.sluice.testkit;

import org.jspecify.annotations.NullMarked;
