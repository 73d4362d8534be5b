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

  /**
   * Sequences as the application knows them (issue 20 item 5): through its compatibility schema a
   * tenant finds its sequence by the source's name ({@code id_employee_seq}, not the target's
   * {@code employees_id_seq}), {@code pg_get_serial_sequence} answers, {@code nextval}, {@code
   * currval} and {@code setval} work, ids continue past the source sequence's position (200), not
   * past the largest id (125); an ORM's {@code setval(max(id))} through one tenant's schema moves
   * only that tenant's ids, never another's; the application cannot move the consolidated table's
   * shared sequence; a re-publish leaves every sequence no further back than it found it.
   */
  @Test
  void eachTenantKeepsItsSequencesByTheirSourceNamesAndNoTenantRewindsAnother() throws Exception {
    String acme = TestPostgres.createDatabase("acme");
    TestPostgres.execute(
        acme,
        """
        CREATE SEQUENCE id_employee_seq;
        CREATE TABLE employees (id int PRIMARY KEY DEFAULT nextval('id_employee_seq'), name text);
        ALTER SEQUENCE id_employee_seq OWNED BY employees.id;
        INSERT INTO employees (name) SELECT 'acme ' || g FROM generate_series(1, 200) g;
        DELETE FROM employees WHERE id > 125;
        """);
    String globex = TestPostgres.createDatabase("globex");
    TestPostgres.execute(
        globex,
        """
        CREATE TABLE employees (id serial PRIMARY KEY, name text);
        INSERT INTO employees (name) SELECT 'globex ' || g FROM generate_series(1, 300) g;
        """);
    String warehouse = Fixtures.emptyWarehouse();
    Roles.ensure(APP, "LOGIN NOSUPERUSER NOBYPASSRLS");
    java.util.function.Function<Boolean, dev.tenantfold.config.TenantfoldConfig> config =
        both -> {
          var builder = Fixtures.config(warehouse).tenant("acme", acme);
          if (both) {
            builder.tenant("globex", globex);
          }
          return builder
              .set("target.row-level-security", true)
              .set("target.application-role", APP)
              .set("target.compat-schemas", true)
              .build(reports);
        };
    RunResult result = new MigrationJob(config.apply(true), spark).execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();

    assertThat(app(warehouse, "acme", "SELECT pg_get_serial_sequence('employees', 'id')"))
        .isEqualTo("tenant_acme.id_employee_seq");
    assertThat(app(warehouse, "globex", "SELECT pg_get_serial_sequence('employees', 'id')"))
        .isEqualTo("tenant_globex.employees_id_seq");
    assertThat(
            app(
                warehouse,
                "acme",
                "INSERT INTO employees (name) VALUES ('new') RETURNING id || ' '"
                    + " || currval('id_employee_seq')"))
        .as("past the source sequence (200), not the largest id (125)")
        .isEqualTo("201 201");
    assertThat(app(warehouse, "globex", "INSERT INTO employees (name) VALUES ('new') RETURNING id"))
        .isEqualTo("301");
    assertThat(app(warehouse, "globex", "SELECT nextval('employees_id_seq')")).isEqualTo("302");

    // An ORM's sequence reset through acme's schema moves acme's sequence only.
    assertThat(
            app(
                warehouse,
                "acme",
                "SELECT setval(pg_get_serial_sequence('employees', 'id'), (SELECT max(id) FROM"
                    + " employees))"))
        .isEqualTo("201");
    assertThat(
            app(warehouse, "globex", "INSERT INTO employees (name) VALUES ('after') RETURNING id"))
        .as("globex's ids after acme's reset")
        .isEqualTo("303");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () -> app(warehouse, "acme", "SELECT setval('public.employees_id_seq', 1)")))
        .as("the application moving the consolidated table's shared sequence")
        .hasMessageContaining("permission denied");

    // acme's application moves its own sequence forward; a re-publish of acme keeps it there, and
    // leaves the shared sequence past globex's ids.
    app(warehouse, "acme", "SELECT setval('id_employee_seq', 5000)");
    RunResult again = new MigrationJob(config.apply(false), spark).execute();
    assertThat(again.exitCode()).as("tenants: %s", again.tenants()).isZero();
    assertThat(app(warehouse, "acme", "INSERT INTO employees (name) VALUES ('later') RETURNING id"))
        .as("acme's next id after its re-publish")
        .isEqualTo("5001");
    assertThat(
            RowSets.rows(
                warehouse,
                "INSERT INTO public.employees (tenant_id, name) VALUES ('acme', 'direct')"
                    + " RETURNING id::text"))
        .as(
            "an id from the consolidated table's shared sequence after acme's re-publish (its"
                + " source at 200): still past globex's 300")
        .containsExactly("301");
  }

  /**
   * The first column of the first row {@code sql} returns to the application set to {@code tenant}.
   */
  private static String app(String warehouse, String tenant, String sql) throws Exception {
    try (Connection app = Roles.connect(warehouse, APP);
        Statement st = app.createStatement()) {
      st.execute("SET app.tenant_id = '" + tenant + "'");
      st.execute("SET search_path = tenant_" + tenant);
      try (ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
