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
import java.sql.ResultSet;
import java.sql.Statement;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application inserts into the consolidated tables as it did into its own database: serial and
 * identity columns draw from target sequences set past every tenant's largest value, and column
 * defaults are there (issue 8's first slice).
 */
class DefaultsAndSequencesTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String APP = "tf_sequences_app";

  @TempDir Path reports;

  private static String tenant(String name, int films) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE EXTENSION "uuid-ossp";
        CREATE FUNCTION local_code() RETURNS text LANGUAGE sql AS $$ SELECT 'L' $$;
        CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, rating text DEFAULT 'G',
          last_update timestamptz NOT NULL DEFAULT now(), code text DEFAULT local_code(), guid uuid NOT NULL DEFAULT uuid_generate_v4());
        INSERT INTO film (title) SELECT 'film ' || g FROM generate_series(1, %d) g;
        CREATE TABLE item (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text DEFAULT 'none');
        INSERT INTO item (label) SELECT 'item ' || g FROM generate_series(1, %d) g;
        """
            .formatted(films, films / 10));
    return url;
  }

  @Test
  void insertsWithoutIdsDrawFromSequencesPastEveryTenantAndGetTheSourceDefaults() throws Exception {
    String acme = tenant("acme", 50);
    String globex = tenant("globex", 500);
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .build(reports),
                spark)
            .execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();

    assertThat(
            RowSets.rows(
                warehouse,
                """
                INSERT INTO public.film (tenant_id, title) VALUES ('acme', 'new one'), ('acme', 'new two')
                RETURNING film_id || ' ' || rating || ' ' || (last_update > now() - interval '1 hour')
                """))
        .as("serial ids past globex's 500, defaults filled")
        .containsExactly("501 G true", "502 G true");
    assertThat(
            RowSets.rows(
                warehouse,
                "INSERT INTO public.item (tenant_id) VALUES ('globex') RETURNING id || ' ' ||"
                    + " label"))
        .as("identity column of the source")
        .containsExactly("51 none");
    // A default calling a function of the tenant's schema gets the function in the target schema
    // too.
    assertThat(
            RowSets.rows(
                warehouse,
                "INSERT INTO public.film (tenant_id, title) VALUES ('globex', 'coded') RETURNING"
                    + " code"))
        .as("the default calls local_code(), recreated in the target schema")
        .containsExactly("L");
    // A default calling an extension's function: the target gets the extension the tenants have.
    assertThat(
            RowSets.rows(
                warehouse,
                "INSERT INTO public.film (tenant_id, title) VALUES ('acme', 'guided') RETURNING"
                    + " guid IS NOT NULL"))
        .as("uuid-ossp created in the target, the default recreated")
        .containsExactly("t");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'name' || ' ' || (e->>'outcome') FROM tenantfold.plans,"
                    + " jsonb_array_elements(plan->'code_objects') e WHERE e->>'kind' ="
                    + " 'function'"))
        .contains("local_code() CONSOLIDATED");

    // A re-run moves the sequence only forward.
    TestPostgres.execute(acme, "INSERT INTO film (film_id, title) VALUES (900, 'late')");
    assertThat(
            new MigrationJob(Fixtures.config(warehouse).tenant("acme", acme).build(reports), spark)
                .execute()
                .exitCode())
        .isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "INSERT INTO public.film (tenant_id, title) VALUES ('globex', 'after') RETURNING"
                    + " film_id::text"))
        .containsExactly("901");
  }

  @Test
  void theApplicationRoleDrawsIdsUnderRowLevelSecurity() throws Exception {
    String acme = tenant("acme", 20);
    String globex = tenant("globex", 300);
    String warehouse = Fixtures.emptyWarehouse();
    Roles.ensure(APP, "LOGIN NOSUPERUSER NOBYPASSRLS");

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .set("target.row-level-security", true)
                    .set("target.application-role", APP)
                    .build(reports),
                spark)
            .execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();

    try (Connection app = Roles.connect(warehouse, APP);
        Statement st = app.createStatement()) {
      st.execute("SET app.tenant_id = 'acme'");
      try (ResultSet rs =
          st.executeQuery(
              "INSERT INTO public.film (tenant_id, title) VALUES ('acme', 'by the app') RETURNING"
                  + " film_id")) {
        rs.next();
        assertThat(rs.getLong(1))
            .as("an id past globex's 300, drawn by the application role")
            .isEqualTo(301);
      }
    }
  }
}
