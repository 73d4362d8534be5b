package dev.tenantfold.source;

import java.util.function.Supplier;

/**
 * A tenant's {@link ExportLanding}, made the first time a table needs one and closed (its landing
 * tables dropped) with the source: both kinds of source land the tables whose rules only the
 * target's SQL applies, so the one lazy construction lives here ({@link TenantSources} says how it
 * is built).
 */
final class LazyLanding implements AutoCloseable {
  private final Supplier<ExportLanding> make;
  private ExportLanding landing;

  LazyLanding(Supplier<ExportLanding> make) {
    this.make = make;
  }

  /** The landing, made on first use. */
  ExportLanding get() {
    if (landing == null) {
      landing = make.get();
    }
    return landing;
  }

  /** Drops what was landed, if anything was. */
  @Override
  public void close() {
    if (landing != null) {
      landing.close();
      landing = null;
    }
  }
}
