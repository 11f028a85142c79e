package dev.sluice.schema.glue;

/**
 * The compatibility mode Glue checks a new schema version against, set on a schema when the serdes
 * create it (auto-registration). A schema created beforehand keeps its own mode: Glue, not Sluice,
 * checks every new version.
 */
public enum Compatibility {
  /** No check: any version is accepted. */
  NONE,
  /** No new version may be added. */
  DISABLED,
  /** Readers on the new version read data of the previous one (Glue's default). */
  BACKWARD,
  /** Readers on the new version read data of every previous one. */
  BACKWARD_ALL,
  /** Readers on the previous version read data of the new one. */
  FORWARD,
  /** Readers on every previous version read data of the new one. */
  FORWARD_ALL,
  /** Both BACKWARD and FORWARD with the previous version. */
  FULL,
  /** Both BACKWARD_ALL and FORWARD_ALL. */
  FULL_ALL
}
