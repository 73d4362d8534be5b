package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Roles;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PSQLException;

/**
 * Constraint and index names as in the source wherever an application sees them (issue 20 item 6):
 * a duplicate key through a compatibility schema or on the consolidated table names the source's
 * key, unique constraint or unique index ({@code pk_shippers}, not a staging name such as {@code
 * s19_shippers__t1_pk}), for every tenant; no staging name is left after publish.
 */
class ConstraintNamesTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String APP = "tf_names_app";

  @TempDir Path reports;

  private static String tenant(String name) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE shippers (id int CONSTRAINT pk_shippers PRIMARY KEY,
          code text CONSTRAINT uq_shipper_code UNIQUE, name text NOT NULL);
        CREATE UNIQUE INDEX ix_shipper_name ON shippers (name);
        INSERT INTO shippers SELECT g, 'c' || g, '%s ' || g FROM generate_series(1, 5) g;
        """
            .formatted(name));
    return url;
  }

  @Test
  void aDuplicateKeyNamesTheSourcesConstraintForEveryTenant() throws Exception {
    String acme = tenant("acme");
    String globex = tenant("globex");
    String warehouse = Fixtures.emptyWarehouse();
    Roles.ensure(APP, "LOGIN NOSUPERUSER NOBYPASSRLS");
    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .set("target.row-level-security", true)
                    .set("target.application-role", APP)
                    .set("target.compat-schemas", true)
                    .build(reports),
                spark)
            .execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();

    for (String tenant : List.of("acme", "globex")) {
      for (String table : List.of("shippers", "public.shippers")) {
        assertThat(
                violated(
                    warehouse,
                    tenant,
                    "INSERT INTO " + table + " (id, code, name) VALUES (1, 'new', 'new')"))
            .as("duplicate id of %s into %s", tenant, table)
            .isEqualTo("pk_shippers");
        assertThat(
                violated(
                    warehouse,
                    tenant,
                    "INSERT INTO " + table + " (id, code, name) VALUES (99, 'c1', 'new')"))
            .as("duplicate code of %s into %s", tenant, table)
            .isEqualTo("uq_shipper_code");
        assertThat(
                violated(
                    warehouse,
                    tenant,
                    "INSERT INTO "
                        + table
                        + " (id, code, name) VALUES (99, 'new', '"
                        + tenant
                        + " 1')"))
            .as("duplicate name of %s into %s", tenant, table)
            .isEqualTo("ix_shipper_name");
      }
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid"
                    + " = c.relnamespace WHERE n.nspname LIKE 'tenantfold_partitions%' AND"
                    + " c.relkind = 'i' AND c.relname ~ '^s[0-9]+_'"))
        .as("staging-only index names left after publish")
        .isEmpty();
  }

  /** The constraint {@code sql} violates, run by the application as {@code tenant}. */
  private static String violated(String warehouse, String tenant, String sql) throws Exception {
    try (Connection app = Roles.connect(warehouse, APP);
        Statement st = app.createStatement()) {
      st.execute("SET app.tenant_id = '" + tenant + "'");
      st.execute("SET search_path = tenant_" + tenant);
      PSQLException e = null;
      try {
        st.execute(sql);
      } catch (PSQLException thrown) {
        e = thrown;
      }
      assertThat((Object) e).as("%s as %s", sql, tenant).isNotNull();
      assertThat(e.getServerErrorMessage().getMessage())
          .contains(e.getServerErrorMessage().getConstraint());
      return e.getServerErrorMessage().getConstraint();
    }
  }
}
