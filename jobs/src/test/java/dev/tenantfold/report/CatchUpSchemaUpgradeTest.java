package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Report schema version 3 (docs/report-schema.md): catch-up's state tables, created on first use by
 * catch-up before it, become part of the versioned schema. A target at version 2 upgrades in place,
 * idempotently, with or without those tables in their earlier ad-hoc shapes, and their rows stay.
 */
class CatchUpSchemaUpgradeTest {
  private static final String SCHEMA = "tf_report";
  private static final ReportStore STORE = new ReportStore(SCHEMA);

  /** A report schema at version 2, made by the statements versions 1 and 2 ran. */
  private static String versionTwo(String name) throws Exception {
    String url = TestPostgres.createDatabase(name);
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement()) {
      st.execute("CREATE SCHEMA " + SCHEMA);
      st.execute(
          "CREATE TABLE "
              + SCHEMA
              + ".schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT"
              + " now(), description text NOT NULL)");
      for (ReportSchema.Migration m : new ReportSchema(SCHEMA).migrations()) {
        if (m.version() > 2) {
          continue;
        }
        for (String sql : m.statements()) {
          st.execute(sql);
        }
        st.execute(
            "INSERT INTO "
                + SCHEMA
                + ".schema_version (version, description) VALUES ("
                + m.version()
                + ", 'v"
                + m.version()
                + "')");
      }
      st.execute(
          "INSERT INTO "
              + SCHEMA
              + ".runs (run_id, started_at, finished_at, status, command) VALUES ('base',"
              + " '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'succeeded', 'run')");
      st.execute(
          "INSERT INTO "
              + SCHEMA
              + ".table_results (run_id, tenant_id, table_name, source_rows, extracted_rows,"
              + " duplicates_removed, rejected_rows, loaded_rows, status, published, message)"
              + " VALUES ('base', 'acme', 'public.orders', 3, 3, 0, 0, 3, 'OK', true, '')");
    }
    return url;
  }

  /**
   * The catch-up tables as catch-up created them before version 3, in their first shape (the
   * columns added later on first use are missing), with a tenant's state and a listed shared
   * delete.
   */
  private static void adHocCatchUpTables(String url) {
    TestPostgres.execute(
        url,
        """
        CREATE TABLE tf_report.catchup_state (tenant_id text PRIMARY KEY, run_id text NOT NULL,
          slot_name text NOT NULL, publication_name text NOT NULL, publication_created boolean NOT NULL,
          source text NOT NULL, start_lsn pg_lsn NOT NULL, applied_lsn pg_lsn NOT NULL, status text NOT NULL,
          applied_changes bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(),
          cut_over_at timestamptz);
        CREATE TABLE tf_report.catchup_tables (tenant_id text NOT NULL, table_name text NOT NULL,
          source_schema text NOT NULL, source_name text NOT NULL, columns text[] NOT NULL, types text[] NOT NULL,
          type_ids text[] NOT NULL, primary_key text[] NOT NULL, PRIMARY KEY (tenant_id, table_name));
        CREATE TABLE tf_report.catchup_changed_keys (tenant_id text NOT NULL, table_name text NOT NULL,
          key text[] NOT NULL, PRIMARY KEY (tenant_id, table_name, key));
        CREATE TABLE tf_report.catchup_shared_deletes (tenant_id text NOT NULL, table_name text NOT NULL,
          kind text NOT NULL, key jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (tenant_id, table_name, kind, key));
        INSERT INTO tf_report.catchup_state (tenant_id, run_id, slot_name, publication_name,
          publication_created, source, start_lsn, applied_lsn, status, applied_changes)
          VALUES ('acme', 'base', 'tenantfold_acme', 'tenantfold_acme', true, 'h/acme', '0/16B3748',
          '0/16C0000', 'catching-up', 42);
        INSERT INTO tf_report.catchup_tables VALUES ('acme', 'public.orders', 'public', 'orders',
          '{id}', '{bigint}', '{20/-1}', '{id}');
        INSERT INTO tf_report.catchup_shared_deletes (tenant_id, table_name, kind, key)
          VALUES ('acme', 'countries', 'delete', '{"code": "XK"}');
        """);
  }

  private static List<String> columns(String url, String table) {
    return RowSets.rows(
        url,
        "SELECT attname FROM pg_attribute WHERE attrelid = 'tf_report."
            + table
            + "'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname");
  }

  private static void assertVersionThree(String url) {
    assertThat(RowSets.rows(url, "SELECT version FROM tf_report.schema_version ORDER BY 1"))
        .as("each version applied once")
        .containsExactly("1", "2", "3");
    assertThat(columns(url, "catchup_state"))
        .contains("base_point", "base_read_from", "slot_created_at", "applied_lsn");
    assertThat(columns(url, "catchup_tables")).contains("rows_delta", "rows_reset");
    assertThat(columns(url, "catchup_shared_deletes")).contains("run_id", "key");
    assertThat(columns(url, "catchup_passes"))
        .contains(
            "pass_id", "run_id", "from_lsn", "to_lsn", "lag_bytes", "lag_millis", "transactions");
    assertThat(columns(url, "catchup_applied"))
        .contains("inserts", "updates", "deletes", "truncates", "skipped");
    assertThat(columns(url, "cutovers"))
        .contains("freeze_millis", "verdict", "differences", "sequences", "drain_pass_id");
    assertThat(columns(url, "catchup_freeze")).contains("role_name", "grantable");
  }

  @Test
  void aVersionTwoSchemaWithCatchUpTablesInTheirOldShapeUpgradesInPlaceAndKeepsTheirRows()
      throws Exception {
    String url = versionTwo("report_v2_adhoc");
    adHocCatchUpTables(url);
    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(new ReportSchema(SCHEMA).current(conn)).isFalse();
      STORE.ensureTables(conn);
      // Again, as every command does: nothing more happens.
      STORE.ensureTables(conn);
      STORE.ensureCurrent(conn);
    }
    assertVersionThree(url);
    assertThat(
            RowSets.rows(
                url,
                "SELECT tenant_id || ' ' || applied_lsn || ' ' || applied_changes || ' ' ||"
                    + " coalesce(base_point::text, 'none') FROM tf_report.catchup_state"))
        .containsExactly("acme 0/16C0000 42 none");
    assertThat(
            RowSets.rows(
                url,
                "SELECT table_name || ' ' || rows_delta || ' ' || rows_reset FROM"
                    + " tf_report.catchup_tables"))
        .as("carried counts start at zero for a table recorded before")
        .containsExactly("public.orders 0 false");
    try (Connection conn = TestPostgres.connect(url)) {
      CatchUpReport report = CatchUpReport.load(conn, SCHEMA, "base");
      CatchUpReport.Tenant acme = report.tenant("acme").orElseThrow();
      assertThat(acme.state().orElseThrow().appliedLsn()).isEqualTo("0/16C0000");
      assertThat(acme.sharedDeleteCount())
          .as("a shared delete listed before version 3 (no run) belongs to the current base copy")
          .isEqualTo(1);
      assertThat(acme.sharedDeletes().get(0).keyJson()).isEqualTo("{\"code\": \"XK\"}");
      assertThat(acme.passes()).isEmpty();
      assertThat(ReportWriter.toJson(runOf(conn), report).toString())
          .contains("\"catch_up\":{\"status\":\"catching-up\"")
          .contains("\"shared_deletes_not_applied\":{\"count\":1");
    }
  }

  @Test
  void aVersionTwoSchemaWithoutCatchUpTablesUpgradesInPlace() throws Exception {
    String url = versionTwo("report_v2_plain");
    try (Connection conn = TestPostgres.connect(url)) {
      STORE.ensureTables(conn);
      STORE.ensureTables(conn);
    }
    assertVersionThree(url);
    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(CatchUpReport.load(conn, SCHEMA, "base").isEmpty()).isTrue();
    }
  }

  @Test
  void aNewSchemaIsCreatedAtVersionThree() throws Exception {
    String url = TestPostgres.createDatabase("report_v3_new");
    try (Connection conn = TestPostgres.connect(url)) {
      STORE.ensureTables(conn);
    }
    assertVersionThree(url);
  }

  private static RunResult runOf(Connection conn) throws Exception {
    return new ReportReader(SCHEMA).load(conn, "base").orElseThrow().run();
  }
}
