package dev.tenantfold.report;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versioned shape of the report schema (docs/report-schema.md). The version lives in the
 * schema's own {@code schema_version} table; every run applies the forward migrations the stored
 * version lacks, in one transaction under an advisory lock, so analysts' SQL keeps working across
 * upgrades and two runs starting at once migrate once. A schema written by a newer Tenantfold is
 * refused rather than guessed at.
 */
public final class ReportSchema {
  private static final Logger LOG = LoggerFactory.getLogger(ReportSchema.class);

  /** The version this code reads and writes. */
  public static final int CURRENT = 3;

  /** One forward step: the statements that bring version {@code version - 1} to {@code version}. */
  record Migration(int version, String description, List<String> statements) {}

  private final String schema;

  ReportSchema(String schema) {
    this.schema = schema;
  }

  private String t(String table) {
    return qualified(schema, table);
  }

  /**
   * Every migration in order. Version 1 is the shape before versioning, written idempotently so a
   * schema any earlier release created (with or without its later columns) reaches it.
   */
  List<Migration> migrations() {
    return List.of(
        new Migration(
            1,
            "runs, table_results, mismatches, rejects, duplicates, plans, shared_conflicts",
            List.of(
                "CREATE TABLE IF NOT EXISTS "
                    + t("runs")
                    + " (run_id text PRIMARY KEY, started_at timestamptz NOT NULL, finished_at"
                    + " timestamptz, status text NOT NULL)",
                "CREATE TABLE IF NOT EXISTS "
                    + t("table_results")
                    + " (run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL,"
                    + " source_rows bigint, extracted_rows bigint, duplicates_removed bigint,"
                    + " rejected_rows bigint, loaded_rows bigint, status text NOT NULL, published"
                    + " boolean NOT NULL, message text, PRIMARY KEY (run_id, tenant_id,"
                    + " table_name))",
                "ALTER TABLE "
                    + t("runs")
                    + " ADD COLUMN IF NOT EXISTS command text NOT NULL DEFAULT 'run'",
                "ALTER TABLE "
                    + t("table_results")
                    + " ADD COLUMN IF NOT EXISTS source_checksum text, ADD COLUMN IF NOT EXISTS"
                    + " target_checksum text, ADD COLUMN IF NOT EXISTS buckets_compared int, ADD"
                    + " COLUMN IF NOT EXISTS mismatched_buckets int",
                "ALTER TABLE " + t("runs") + " ADD COLUMN IF NOT EXISTS resumed_from text",
                "ALTER TABLE "
                    + t("table_results")
                    + " ADD COLUMN IF NOT EXISTS previous_rows bigint",
                "CREATE TABLE IF NOT EXISTS "
                    + t("rejects")
                    + " (run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL,"
                    + " key jsonb, column_name text NOT NULL, reason text NOT NULL, row_data jsonb"
                    + " NOT NULL)",
                "CREATE INDEX IF NOT EXISTS rejects_run ON "
                    + t("rejects")
                    + " (run_id, tenant_id, table_name)",
                "CREATE TABLE IF NOT EXISTS "
                    + t("duplicates")
                    + " (run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL,"
                    + " key jsonb, row_data jsonb NOT NULL)",
                "CREATE INDEX IF NOT EXISTS duplicates_run ON "
                    + t("duplicates")
                    + " (run_id, tenant_id, table_name)",
                "CREATE TABLE IF NOT EXISTS "
                    + t("plans")
                    + " (run_id text PRIMARY KEY, plan jsonb NOT NULL)",
                "CREATE TABLE IF NOT EXISTS "
                    + t("shared_conflicts")
                    + " (run_id text NOT NULL, table_name text NOT NULL, key jsonb NOT NULL,"
                    + " tenant_id text NOT NULL, row_data jsonb NOT NULL, outcome text NOT NULL)",
                "CREATE TABLE IF NOT EXISTS "
                    + t("mismatches")
                    + " (run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL,"
                    + " key text NOT NULL, kind text NOT NULL, columns text[] NOT NULL, source_rows"
                    + " int NOT NULL, target_rows int NOT NULL)",
                "CREATE INDEX IF NOT EXISTS mismatches_run ON "
                    + t("mismatches")
                    + " (run_id, tenant_id, table_name)")),
        new Migration(
            2,
            "readable mismatch keys (jsonb); tenant outcomes, stage timings, sources; drill-down"
                + " counts; run notes",
            List.of(
                // Keys written before version 2 were an internal encoding without column names:
                // kept, as a JSON string.
                "ALTER TABLE "
                    + t("mismatches")
                    + " ALTER COLUMN key TYPE jsonb USING to_jsonb(key)",
                "ALTER TABLE "
                    + t("table_results")
                    + " ADD COLUMN partitions int, ADD COLUMN drilled_buckets int, ADD COLUMN"
                    + " differences jsonb",
                "ALTER TABLE " + t("runs") + " ADD COLUMN notes jsonb",
                "CREATE TABLE "
                    + t("tenant_results")
                    + " (run_id text NOT NULL, tenant_id text NOT NULL, status text NOT NULL,"
                    + " published boolean NOT NULL, message text, millis bigint NOT NULL,"
                    + " source_kind text, source_description text, source_point_in_time"
                    + " timestamptz, PRIMARY KEY (run_id, tenant_id))",
                "CREATE TABLE "
                    + t("stage_timings")
                    + " (run_id text NOT NULL, tenant_id text NOT NULL, stage text NOT NULL,"
                    + " position int NOT NULL, millis bigint NOT NULL, PRIMARY KEY (run_id,"
                    + " tenant_id, stage))")),
        new Migration(
            3,
            "catch-up and cutover: catch-up state (before, tables of their own created on first"
                + " use), passes with positions and lag, changes applied per table, shared-table"
                + " deletes not applied, cutovers",
            catchUp()));
  }

  /**
   * Version 3. Catch-up's state tables existed before it, created on first use by catch-up itself
   * (with columns added later): each statement is idempotent, so a schema with or without them, in
   * any of their earlier shapes, reaches the same one.
   */
  private List<String> catchUp() {
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_state")
            + " (tenant_id text PRIMARY KEY, run_id text NOT NULL, slot_name text NOT NULL,"
            + " publication_name text NOT NULL, publication_created boolean NOT NULL, source text"
            + " NOT NULL, start_lsn pg_lsn NOT NULL, applied_lsn pg_lsn NOT NULL, status text NOT"
            + " NULL, applied_changes bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL"
            + " DEFAULT now(), cut_over_at timestamptz)",
        "ALTER TABLE "
            + t("catchup_state")
            + " ADD COLUMN IF NOT EXISTS slot_created_at timestamptz, ADD COLUMN IF NOT EXISTS"
            + " base_point timestamptz, ADD COLUMN IF NOT EXISTS base_read_from text",
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_tables")
            + " (tenant_id text NOT NULL, table_name text NOT NULL, source_schema text NOT NULL,"
            + " source_name text NOT NULL, columns text[] NOT NULL, types text[] NOT NULL, type_ids"
            + " text[] NOT NULL, primary_key text[] NOT NULL, PRIMARY KEY (tenant_id, table_name))",
        "ALTER TABLE "
            + t("catchup_tables")
            + " ADD COLUMN IF NOT EXISTS rows_delta bigint NOT NULL DEFAULT 0, ADD COLUMN IF NOT"
            + " EXISTS rows_reset boolean NOT NULL DEFAULT false",
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_changed_keys")
            + " (tenant_id text NOT NULL, table_name text NOT NULL, key text[] NOT NULL, PRIMARY"
            + " KEY (tenant_id, table_name, key))",
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_freeze")
            + " (tenant_id text NOT NULL, role_name text NOT NULL, database_name text NOT NULL,"
            + " grantable boolean NOT NULL, frozen_at timestamptz NOT NULL DEFAULT now(), PRIMARY"
            + " KEY (tenant_id, role_name))",
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_shared_deletes")
            + " (tenant_id text NOT NULL, table_name text NOT NULL, kind text NOT NULL, key jsonb"
            + " NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id,"
            + " table_name, kind, key))",
        // Rows recorded before version 3 keep a NULL run: reports list them under every run.
        "ALTER TABLE " + t("catchup_shared_deletes") + " ADD COLUMN IF NOT EXISTS run_id text",
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_passes")
            + " (pass_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT"
            + " NULL, run_id text NOT NULL, command text NOT NULL, started_at timestamptz NOT NULL"
            + " DEFAULT now(), finished_at timestamptz, from_lsn pg_lsn NOT NULL, to_lsn pg_lsn NOT"
            + " NULL, transactions bigint NOT NULL DEFAULT 0, changes bigint NOT NULL DEFAULT 0,"
            + " lag_bytes bigint, lag_millis bigint, status text NOT NULL, message text)",
        "CREATE INDEX IF NOT EXISTS catchup_passes_tenant ON "
            + t("catchup_passes")
            + " (tenant_id, run_id, started_at)",
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_applied")
            + " (pass_id bigint NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL,"
            + " inserts bigint NOT NULL DEFAULT 0, updates bigint NOT NULL DEFAULT 0, deletes"
            + " bigint NOT NULL DEFAULT 0, truncates bigint NOT NULL DEFAULT 0, skipped bigint NOT"
            + " NULL DEFAULT 0, PRIMARY KEY (pass_id, table_name))",
        "CREATE TABLE IF NOT EXISTS "
            + t("cutovers")
            + " (cutover_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT"
            + " NULL, run_id text NOT NULL, started_at timestamptz NOT NULL, verdict_at timestamptz"
            + " NOT NULL, freeze_millis bigint NOT NULL, frozen boolean NOT NULL, verdict text NOT"
            + " NULL, drain_pass_id bigint, keys_checked bigint NOT NULL, differences jsonb NOT"
            + " NULL, sequences jsonb NOT NULL, message text)",
        "CREATE INDEX IF NOT EXISTS cutovers_tenant ON " + t("cutovers") + " (tenant_id, run_id)",
        // catch-up.mode = cursor: per table its cursor, the watermark applied up to and the last
        // key comparison's cost.
        "CREATE TABLE IF NOT EXISTS "
            + t("catchup_cursor")
            + " (tenant_id text NOT NULL, table_name text NOT NULL, cursor_column text NOT NULL,"
            + " cursor_type text NOT NULL, watermark text, keys_compared bigint NOT NULL DEFAULT 0,"
            + " compare_millis bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT"
            + " now(), PRIMARY KEY (tenant_id, table_name))");
  }

  /** Brings the schema to {@link #CURRENT}; returns the version it found (0: none). */
  int migrate(Connection conn) throws SQLException {
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try {
      int found;
      try (Statement st = conn.createStatement()) {
        // One migrator at a time per report schema; concurrent CREATE SCHEMA IF NOT EXISTS can
        // collide too.
        st.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('tenantfold report schema ' || "
                + dev.tenantfold.jdbc.Sql.literal(schema)
                + ", 0))");
        st.execute("CREATE SCHEMA IF NOT EXISTS " + ident(schema));
        st.execute(
            "CREATE TABLE IF NOT EXISTS "
                + t("schema_version")
                + " (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),"
                + " description text NOT NULL)");
        found = storedVersion(conn);
        if (found > CURRENT) {
          throw new SQLException(
              "Cannot use report schema "
                  + schema
                  + ": it is at version "
                  + found
                  + ", newer than this Tenantfold knows ("
                  + CURRENT
                  + "); upgrade Tenantfold, or set "
                  + dev.tenantfold.config.TargetConfig.REPORT_SCHEMA.path()
                  + " to another schema");
        }
        for (Migration m : migrations()) {
          if (m.version() <= found) {
            continue;
          }
          for (String sql : m.statements()) {
            st.execute(sql);
          }
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO " + t("schema_version") + " (version, description) VALUES (?, ?)")) {
            ps.setInt(1, m.version());
            ps.setString(2, m.description());
            ps.executeUpdate();
          }
          LOG.info(
              "Report schema {} migrated to version {}: {}", schema, m.version(), m.description());
        }
      }
      conn.commit();
      return found;
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(autoCommit);
    }
  }

  /**
   * Whether the schema is already at {@link #CURRENT}, asked without writing (a reader may lack the
   * CREATE privilege that migrating needs): false when it is older, has no version table, or is
   * missing.
   */
  boolean current(Connection conn) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, t("schema_version"));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return false;
        }
      }
    }
    return storedVersion(conn) == CURRENT;
  }

  /**
   * The highest version applied; 0 for a schema no release recorded a version in (created before
   * versioning, or new).
   */
  int storedVersion(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT coalesce(max(version), 0) FROM " + t("schema_version"))) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
