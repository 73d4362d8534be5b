package dev.tenantfold.source;

import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.extract.TenantCatalog;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where one tenant's rows come from: a live database read in one exported snapshot ({@link
 * JdbcTenantSource}), or an RDS snapshot export on S3 (coming). The migration asks every source the
 * same questions in the same order: its catalog for planning; then, opened, its catalog as of the
 * rows it will deliver; then to move each planned table into staging and compute its side of the
 * checksum where its rows live.
 */
public interface TenantSource extends AutoCloseable {
  /** {@code jdbc} or {@code export}: the report's source kind. */
  String kind();

  /** Where the rows are read from, safe for logs and reports (no credentials). */
  String describe();

  /** The instant the rows represent, when the source knows it (an export's snapshot time). */
  Optional<Instant> pointInTime();

  /** The catalog for planning, read before any data moves. */
  TenantCatalog readCatalog(TablesConfig tables) throws SQLException;

  /** Opens the source's point in time and returns the catalog as of it (held until {@link #close}). */
  TenantCatalog open(TablesConfig tables) throws SQLException;

  /** Moves every planned table into its staging table; each table fails alone. */
  StagedTenant stage(List<TablePlan> plans) throws SQLException;

  @Override
  void close() throws SQLException;
}
