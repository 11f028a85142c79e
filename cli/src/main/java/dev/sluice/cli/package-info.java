/**
 * The {@code sluice} command line: {@link dev.sluice.cli.SluiceCli}. Everything else in this
 * package is the commands' own and may change in any release.
 */
@NullMarked
package dev.sluice.cli;

import org.jspecify.annotations.NullMarked;
