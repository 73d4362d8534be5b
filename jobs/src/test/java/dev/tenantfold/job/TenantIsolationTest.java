package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Roles;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Row-level security in the consolidated tables, seen from an application role (no superuser, no
 * BYPASSRLS) after real runs: a session sees and writes only its tenant, through the parent tables
 * and not around them through the partitions, and re-publishing keeps it so.
 */
class TenantIsolationTest {
  private static final String APP = "tf_isolation_app";
  private static final List<String> TABLES =
      List.of("customers", "orders", "order_items", "events");

  private static SparkSession spark;

  @TempDir Path reports;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.session();
    Roles.ensure(APP, "LOGIN NOSUPERUSER NOBYPASSRLS");
  }

  @Test
  void aTenantSessionSeesAndWritesOnlyItsOwnRowsAndRepublishingKeepsItSo() throws Exception {
    String acme = Fixtures.demoTenant("acme", 60);
    String globex = Fixtures.demoTenant("globex", 40);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse)
            .tenant("acme", acme)
            .tenant("globex", globex)
            .set("target.row-level-security", true)
            .set("target.application-role", APP)
            .build(reports);

    assertPublishedAndValid(new MigrationJob(config, spark).execute());
    assertIsolated(warehouse);

    // A DBA grants the application every table of the schema, partitions included: the partitions
    // still show nothing ...
    TestPostgres.execute(
        warehouse,
        "GRANT USAGE ON SCHEMA tenantfold_partitions_acme, tenantfold_partitions_globex TO "
            + APP
            + "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public,"
            + " tenantfold_partitions_acme, tenantfold_partitions_globex TO "
            + APP);
    try (Connection app = session(warehouse, "acme");
        Statement st = app.createStatement()) {
      assertThat(count(st, "SELECT count(*) FROM tenantfold_partitions_globex.customers__globex"))
          .as("globex's partition read directly by acme")
          .isZero();
      assertThat(st.executeUpdate("DELETE FROM tenantfold_partitions_globex.customers__globex"))
          .as("rows deleted through globex's partition")
          .isZero();
    }
    // ... and a re-publish keeps tenants apart, even when every new staging table (a
    // partition-to-be) is granted to the application.
    TestPostgres.execute(
        warehouse,
        "ALTER DEFAULT PRIVILEGES IN SCHEMA tenantfold_staging GRANT SELECT, DELETE ON TABLES TO "
            + APP);
    TestPostgres.execute(globex, "UPDATE customers SET name = 'globex v2' WHERE id = 1");
    assertPublishedAndValid(new MigrationJob(config, spark).execute());
    assertIsolated(warehouse);
    try (Connection app = session(warehouse, "globex");
        Statement st = app.createStatement();
        ResultSet rs = st.executeQuery("SELECT name FROM public.customers WHERE id = 1")) {
      assertThat(rs.next() ? rs.getString(1) : null)
          .as("globex's re-published row, seen by globex")
          .isEqualTo("globex v2");
    }
  }

  @Test
  void switchingRowLevelSecurityOnProtectsPartitionsPublishedBefore() throws Exception {
    String acme = Fixtures.demoTenant("acme", 20);
    String globex = Fixtures.demoTenant("globex", 20);
    String warehouse = Fixtures.emptyWarehouse();
    Fixtures.ConfigBuilder builder =
        Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex);
    assertPublishedAndValid(new MigrationJob(builder.build(reports), spark).execute());
    TestPostgres.execute(warehouse, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + APP);

    // Only acme runs again: globex's partitions were published without row-level security.
    RunResult acmeOnly =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .set("target.row-level-security", true)
                    .set("target.application-role", APP)
                    .build(reports),
                spark)
            .execute();

    assertPublishedAndValid(acmeOnly);
    assertIsolated(warehouse);
  }

  private static void assertPublishedAndValid(RunResult result) {
    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    for (var tenant : result.tenants()) {
      assertThat(tenant.published()).as("tenant %s published", tenant.tenantId()).isTrue();
      for (TableResult t : tenant.tables()) {
        assertThat(t.status())
            .as("%s.%s: %s", tenant.tenantId(), t.tableName(), t.message())
            .isEqualTo(TableStatus.OK);
      }
    }
  }

  /** What an application session can see and change, for tenants acme and globex. */
  private static void assertIsolated(String warehouse) throws SQLException {
    List<String> globexBefore =
        RowSets.rows(
            warehouse, "SELECT ROW(c.*)::text FROM public.customers c WHERE tenant_id = 'globex'");
    for (String table : TABLES) {
      long acmeRows =
          RowSets.count(
              warehouse, "SELECT count(*) FROM public." + table + " WHERE tenant_id = 'acme'");
      long globexRows =
          RowSets.count(
              warehouse, "SELECT count(*) FROM public." + table + " WHERE tenant_id = 'globex'");
      assertThat(acmeRows).as("acme rows of %s", table).isPositive();
      try (Connection none = Roles.connect(warehouse, APP);
          Statement st = none.createStatement()) {
        assertThat(count(st, "SELECT count(*) FROM public." + table))
            .as("%s seen by a session without a tenant", table)
            .isZero();
      }
      try (Connection app = session(warehouse, "acme");
          Statement st = app.createStatement()) {
        assertThat(count(st, "SELECT count(*) FROM public." + table))
            .as("%s rows seen by acme", table)
            .isEqualTo(acmeRows);
        assertThat(
                count(st, "SELECT count(*) FROM public." + table + " WHERE tenant_id = 'globex'"))
            .as("globex rows of %s seen by acme", table)
            .isZero();
        assertThat(st.executeUpdate("DELETE FROM public." + table + " WHERE tenant_id = 'globex'"))
            .as("globex rows of %s deleted by acme", table)
            .isZero();
      }
      try (Connection app = session(warehouse, "globex");
          Statement st = app.createStatement()) {
        assertThat(count(st, "SELECT count(*) FROM public." + table))
            .as("%s rows seen by globex", table)
            .isEqualTo(globexRows);
      }
    }
    try (Connection app = session(warehouse, "acme");
        Statement st = app.createStatement()) {
      assertThatThrownBy(
              () ->
                  st.executeUpdate(
                      "INSERT INTO public.customers (tenant_id, id, name, created_at) VALUES"
                          + " ('globex', 900001, 'x', now())"))
          .as("acme inserting a globex row")
          .hasMessageContaining("row-level security");
      assertThat(
              st.executeUpdate(
                  "UPDATE public.customers SET name = 'hijacked' WHERE tenant_id = 'globex'"))
          .as("globex rows updated by acme")
          .isZero();
      assertThatThrownBy(
              () ->
                  st.executeUpdate("UPDATE public.customers SET tenant_id = 'globex' WHERE id = 1"))
          .as("acme moving its row to globex")
          .hasMessageContaining("row-level security");
      assertThatThrownBy(
              () ->
                  st.executeQuery(
                      "SELECT count(*) FROM tenantfold_partitions_globex.customers__globex"))
          .as("globex's partition read directly by acme")
          .satisfiesAnyOf(
              e -> assertThat(e).hasMessageContaining("permission denied"),
              e -> assertThat(e).hasMessageContaining("row-level security"));
      assertThatThrownBy(() -> st.execute("TRUNCATE public.customers"))
          .as("acme truncating the shared table")
          .hasMessageContaining("permission denied");
      // Its own tenant it can write.
      assertThat(
              st.executeUpdate(
                  "INSERT INTO public.customers (tenant_id, id, name, created_at) VALUES ('acme',"
                      + " 900001, 'x', now())"))
          .isEqualTo(1);
      // As in its own database, the application need not name the tenant: the session's tenant
      // fills the column.
      assertThat(
              st.executeUpdate(
                  "INSERT INTO public.customers (id, name, created_at) VALUES (900002, 'y',"
                      + " now())"))
          .isEqualTo(1);
      try (ResultSet rs =
          st.executeQuery("SELECT tenant_id FROM public.customers WHERE id = 900002")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("acme");
      }
      assertThat(st.executeUpdate("DELETE FROM public.customers WHERE id IN (900001, 900002)"))
          .isEqualTo(2);
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT ROW(c.*)::text FROM public.customers c WHERE tenant_id = 'globex'"))
        .as("globex's customers after acme's attempts")
        .isEqualTo(globexBefore);
  }

  private static Connection session(String warehouse, String tenant) throws SQLException {
    Connection conn = Roles.connect(warehouse, APP);
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT set_config('app.tenant_id', ?, false)")) {
      ps.setString(1, tenant);
      ps.execute();
    }
    return conn;
  }

  private static long count(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
