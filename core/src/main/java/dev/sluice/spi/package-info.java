/**
 * The service-provider interface a Sluice backend implements. Applications never use it.
 *
 * <p>A backend is a {@link dev.sluice.spi.BackendProvider} found with {@link
 * java.util.ServiceLoader} by its name ({@code memory}, {@code kafka}, {@code kinesis}). Drivers
 * are low level and batch oriented: they do no validation, no retries beyond what their client does
 * by itself, no metrics and no error mapping. Those are written once in core, around the SPI, so
 * every backend behaves alike. Drivers throw (or complete futures with) their client's native
 * exceptions; core maps them with {@link dev.sluice.spi.Backend#translate(Throwable)}.
 *
 * <p>In this package "must" is a requirement the conformance kit checks; "may" is a freedom.
 */
@NullMarked
package dev.sluice.spi;

import org.jspecify.annotations.NullMarked;
