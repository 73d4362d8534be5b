package dev.tenantfold.source;

import dev.tenantfold.catchup.SlotStart;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.load.CopyFormat;
import dev.tenantfold.validate.ChecksumSide;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where one tenant's rows come from: a live database read in one exported snapshot ({@link
 * JdbcTenantSource}), or an RDS snapshot export ({@link ExportTenantSource}). The migration asks
 * every source the same questions in the same order: its catalog for planning; then, opened, its
 * catalog as of the rows it will deliver; then to move each planned table into staging and compute
 * its side of the checksum where its rows live. {@code validate} asks an opened source for its side
 * of the checksum only ({@link #checksumSide}), and compares it with the published rows exactly as
 * a run compares it with staging.
 */
public interface TenantSource extends AutoCloseable {
  /** {@code jdbc} or {@code export}: the report's source kind. */
  String kind();

  /** Where the rows are read from, safe for logs and reports (no credentials). */
  String describe();

  /**
   * This source for reading only ({@code validate}): it never starts or records catch-up (a
   * tenant's replication slot and its recorded start belong to its base copy).
   */
  TenantSource readOnly();

  /** The instant the rows represent, when the source knows it (an export's snapshot time). */
  Optional<Instant> pointInTime();

  /** The catalog for planning, read before any data moves. */
  TenantCatalog readCatalog(TablesConfig tables) throws SQLException;

  /**
   * Opens the source's point in time and returns the catalog as of it (held until {@link #close}).
   */
  TenantCatalog open(TablesConfig tables) throws SQLException;

  /** Moves every planned table into its staging table; each table fails alone. */
  StagedTenant stage(List<TablePlan> plans) throws SQLException;

  /**
   * The opened source's side of the checksum of {@code table} (the consolidated table's columns,
   * key and bucket count), computed where the rows live: SQL in the JDBC snapshot, Spark over the
   * export's rows. A column this tenant lacks reads as NULL, as it was loaded. Empty when the
   * opened catalog has no such table.
   */
  Optional<ChecksumSide> checksumSide(TargetTable table, TableRule rule) throws SQLException;

  /**
   * The COPY format in which this source streams {@code conformed}'s rows into staging, and why
   * when text ({@code plan} prints it per table); empty when its rows reach staging another way
   * (through Spark). {@code catalog}: the tenant's catalog, as planned or opened.
   */
  default Optional<CopyFormat.Choice> copyFormat(TenantCatalog catalog, ConformedSource conformed) {
    return Optional.empty();
  }

  /**
   * What planning made of this tenant's catalog ({@code conform.BorrowedKeys}: keys, types and
   * partition parents the source's own catalog lacks, {@link
   * dev.tenantfold.config.SourceSpec#catalogIncomplete}): {@link #open} opens with it. A source
   * whose catalog is complete ignores it.
   */
  default void planWith(TenantCatalog planned) {}

  /**
   * Refuses, before planning, a source that is not the one the tenant's catch-up start was recorded
   * for (an export tenant with catch-up: the export must be the one {@code tenantfold export} took
   * after creating its slot, docs/catch-up.md). A source whose base copy records its own start
   * checks nothing.
   */
  default void requireCatchUpStart(Connection target, String reportSchema) throws SQLException {}

  /**
   * This source reads a copy restored to {@code basePoint} ({@code baseDescription}) of the
   * tenant's production database {@code production}, on which {@code slot} was created before that
   * point: {@link #open} records catch-up from the slot's start instead of creating a slot. Only a
   * source that reads a restored copy can.
   */
  default TenantSource catchingUpFrom(
      SlotStart.SlotAhead slot, String production, Instant basePoint, String baseDescription) {
    throw new IllegalStateException(
        "Cannot catch up from a restored copy's slot: " + describe() + " reads no restored copy");
  }

  @Override
  void close() throws SQLException;

  /**
   * What the source found worth a person's attention without failing the tenant (an export's rows
   * far from the source's statistics): the run's notes, report.json and report.html carry them.
   */
  default List<String> warnings() {
    return List.of();
  }
}
