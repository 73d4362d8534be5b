package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
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
 * Functions, triggers and views (issue 8): triggers fire on the consolidated tables, every object
 * not recreated is listed in the plan and the run's notes, and a legacy application pointed at its
 * tenant's compatibility schema keeps working unchanged: inserts without ids, updates, deletes, its
 * views and functions, over its own rows only.
 */
class CodeObjectsTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  /**
   * A Pagila-like schema: a last_update trigger, views over views, a materialized view, a SQL
   * function and an aggregate.
   */
  private static String tenant(String name, int films) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.last_update = now(); RETURN NEW; END $$;
        CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, rental_rate numeric(4,2) NOT NULL DEFAULT 4.99,
          last_update timestamptz NOT NULL DEFAULT now(), fulltext tsvector);
        CREATE TRIGGER film_fulltext BEFORE INSERT OR UPDATE ON film FOR EACH ROW
          EXECUTE FUNCTION tsvector_update_trigger(fulltext, 'pg_catalog.english', title);
        CREATE TRIGGER last_updated BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TABLE inventory (inventory_id serial PRIMARY KEY, film_id int NOT NULL REFERENCES film, store int NOT NULL);
        INSERT INTO film (title, last_update) SELECT '%1$s film ' || g, '2001-01-01' FROM generate_series(1, %2$d) g;
        INSERT INTO inventory (film_id, store) SELECT 1 + g %% %2$d, g %% 2 FROM generate_series(1, %2$d * 3) g;
        CREATE VIEW film_stock AS SELECT f.title, count(i.inventory_id) AS copies FROM film f LEFT JOIN inventory i USING (film_id) GROUP BY f.title;
        CREATE VIEW well_stocked AS SELECT title FROM film_stock WHERE copies >= 3;
        CREATE MATERIALIZED VIEW film_count AS SELECT count(*) AS n FROM film;
        CREATE FUNCTION film_in_stock(p_film_id int) RETURNS SETOF int LANGUAGE sql AS $$
          SELECT inventory_id FROM inventory WHERE film_id = p_film_id ORDER BY inventory_id $$;
        CREATE AGGREGATE concat_all(text) (SFUNC = textcat, STYPE = text);
        CREATE VIEW title_chars AS SELECT length(concat_all(title)) AS n FROM film;
        """
            .formatted(name, films));
    return url;
  }

  @Test
  void triggersFireOnTheConsolidatedTablesAndWhatIsNotRecreatedIsListed() throws Exception {
    String acme = tenant("acme", 10);
    String globex = tenant("globex", 20);
    TestPostgres.execute(
        globex,
        "CREATE OR REPLACE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$ BEGIN NEW.last_update = clock_timestamp(); RETURN NEW; END $$");
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
                "SELECT pronamespace::regnamespace || ' ' || (prosrc LIKE '%clock_timestamp%') ||"
                    + " ' ' || prosecdef || ' ' || proowner::regrole FROM pg_proc WHERE proname ="
                    + " 'last_updated' ORDER BY 1"))
        .as("each tenant's own trigger function, in its own schema, run as its role")
        .containsExactly(
            "tenantfold_tenant_acme false true tenantfold_tenant_acme",
            "tenantfold_tenant_globex true true tenantfold_tenant_globex");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tgrelid::regclass || ' ' || tgname || ' ' || tgfoid::regproc FROM"
                    + " pg_trigger WHERE tgname = 'last_updated' ORDER BY 1"))
        .as("each tenant's trigger on its own partition, none on the consolidated table")
        .containsExactly(
            "tenantfold_partitions_acme.film__acme last_updated"
                + " tenantfold_tenant_acme.last_updated",
            "tenantfold_partitions_globex.film__globex last_updated"
                + " tenantfold_tenant_globex.last_updated");

    assertThat(
            RowSets.rows(
                warehouse, "SELECT count(*) FROM public.film WHERE last_update = '2001-01-01'"))
        .as("loading and publishing fire no trigger: rows arrive as the source has them")
        .containsExactly("30");
    assertThat(
            RowSets.rows(
                warehouse,
                "UPDATE public.film SET title = 'renamed' WHERE tenant_id = 'acme' AND film_id = 1"
                    + " RETURNING (last_update > now() - interval '1 hour')::text"))
        .as("the source's trigger fires for rows of the consolidated table")
        .containsExactly("true");

    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'kind' || ' ' || (e->>'name') || ' ' || (e->>'outcome') FROM"
                    + " tenantfold.plans, jsonb_array_elements(plan->'code_objects') e"))
        .contains(
            "view film_stock NOT_RECREATED",
            "view well_stocked NOT_RECREATED",
            "materialized view film_count NOT_RECREATED",
            "function film_in_stock(p_film_id integer) NOT_RECREATED",
            "aggregate concat_all(text) NOT_RECREATED",
            "function last_updated() TENANT_PARTITION",
            "trigger film.last_updated TENANT_PARTITION",
            "trigger film.film_fulltext TENANT_PARTITION");
    assertThat(
            RowSets.rows(
                warehouse,
                "INSERT INTO public.film (tenant_id, title) VALUES ('acme', 'Blue Whale') RETURNING"
                    + " fulltext::text"))
        .as("a trigger executing a built-in function")
        .containsExactly("'blue':1 'whale':2");
    assertThat(result.notes())
        .anySatisfy(
            n ->
                assertThat(n + " " + String.join(" ", result.noteItems(n)))
                    .contains("not recreated", "view film_stock", "aggregate concat_all(text)"));
  }

  @Test
  void aLegacyApplicationKeepsWorkingAgainstItsCompatibilitySchema() throws Exception {
    String acme = tenant("acme", 10);
    String globex = tenant("globex", 20);
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .set("target.compat-schemas", true)
                    .build(reports),
                spark)
            .execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();

    for (String[] t : new String[][] {{"acme", acme}, {"globex", globex}}) {
      for (String query :
          new String[] {
            "SELECT string_agg(title || ':' || copies, ',' ORDER BY title) FROM film_stock",
            "SELECT string_agg(title, ',' ORDER BY title) FROM well_stocked",
            "SELECT n::text FROM film_count",
            "SELECT string_agg(x::text, ',') FROM film_in_stock(2) x",
            "SELECT count(*)::text FROM film",
            "SELECT n::text FROM title_chars"
          }) {
        assertThat(RowSets.underSearchPath(warehouse, "tenant_" + t[0], query))
            .as("%s in tenant_%s", query, t[0])
            .isEqualTo(RowSets.underSearchPath(t[1], "public", query));
      }
    }

    // In the target schema, each view is the union of every tenant's, tenant column first.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.film_stock GROUP BY tenant_id"))
        .containsExactly("acme 10", "globex 20");
    assertThat(RowSets.rows(warehouse, "SELECT tenant_id || ' ' || n FROM public.film_count"))
        .containsExactly("acme 10", "globex 20");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || title FROM public.well_stocked WHERE title LIKE '% film"
                    + " 1'"))
        .containsExactly("acme acme film 1", "globex globex film 1");

    // The application's own statements, unchanged: ids from its own sequence (past its 10 films,
    // as in its own database), defaults, its tenant filled in.
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_acme",
                "INSERT INTO film (title) VALUES ('new one') RETURNING film_id || ' ' ||"
                    + " rental_rate"))
        .isEqualTo("11 4.99");
    assertThat(RowSets.rows(warehouse, "SELECT tenant_id FROM public.film WHERE title = 'new one'"))
        .containsExactly("acme");
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_acme",
                "UPDATE film SET rental_rate = 0.99 WHERE film_id = 2 RETURNING title"))
        .as("an update touches the tenant's row only")
        .isEqualTo("acme film 2");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || rental_rate FROM public.film WHERE film_id = 2 ORDER BY"
                    + " 1"))
        .containsExactly("acme 0.99", "globex 4.99");
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_acme",
                "WITH d AS (DELETE FROM inventory WHERE film_id = 3 RETURNING 1) SELECT"
                    + " count(*)::text FROM d"))
        .isEqualTo(RowSets.rows(acme, "SELECT count(*) FROM inventory WHERE film_id = 3").get(0));
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.inventory WHERE tenant_id = 'globex' AND film_id = 3"))
        .as("the other tenant's rows are untouched")
        .isEqualTo(RowSets.count(globex, "SELECT count(*) FROM inventory WHERE film_id = 3"));
    assertThatThrownBy(
            () ->
                RowSets.underSearchPath(
                    warehouse,
                    "tenant_acme",
                    "INSERT INTO film (title, tenant_id) VALUES ('smuggled', 'globex') RETURNING"
                        + " 1"))
        .as(
            "a row of another tenant is refused (the view's check option or the tenant role's"
                + " policy)")
        .satisfiesAnyOf(
            e -> assertThat(e).hasMessageContaining("check option"),
            e -> assertThat(e).hasMessageContaining("row-level security policy"));
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'kind' || ' ' || (e->>'name') || ' ' || (e->>'outcome') FROM"
                    + " tenantfold.plans, jsonb_array_elements(plan->'code_objects') e WHERE"
                    + " e->>'kind' LIKE '%view'"))
        .containsExactlyInAnyOrder(
            "view film_stock COMPAT_SCHEMAS",
            "view well_stocked COMPAT_SCHEMAS",
            "materialized view film_count COMPAT_SCHEMAS",
            "view title_chars COMPAT_SCHEMAS");

    // A re-run rebuilds the schema with the republished data.
    TestPostgres.execute(acme, "INSERT INTO film (title) VALUES ('late film')");
    assertThat(
            new MigrationJob(
                    Fixtures.config(warehouse)
                        .tenant("acme", acme)
                        .set("target.compat-schemas", true)
                        .build(reports),
                    spark)
                .execute()
                .exitCode())
        .isZero();
    assertThat(RowSets.underSearchPath(warehouse, "tenant_acme", "SELECT count(*)::text FROM film"))
        .isEqualTo(RowSets.underSearchPath(acme, "public", "SELECT count(*)::text FROM film"));
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_acme",
                "REFRESH MATERIALIZED VIEW film_count; SELECT n::text FROM film_count"))
        .isEqualTo("11");

    // A tenant whose column must widen a column the compatibility views read: its tables fail with
    // what to do, nothing else changes.
    String initech = tenant("initech", 5);
    TestPostgres.execute(initech, "ALTER TABLE film ALTER COLUMN rental_rate TYPE numeric(6,2)");
    RunResult widened =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("initech", initech)
                    .set("target.compat-schemas", true)
                    .build(reports),
                spark)
            .execute();
    assertThat(widened.exitCode()).isEqualTo(1);
    assertThat(widened.tenants().get(0).message() + widened.tenants().get(0).tables())
        .contains("Cannot widen column rental_rate", "views read it", "DROP SCHEMA");
    assertThat(RowSets.underSearchPath(warehouse, "tenant_acme", "SELECT count(*)::text FROM film"))
        .isEqualTo("11");
  }

  /**
   * Two schemas, as an application with search path {@code public, sales} knows them: a table of
   * each name in both ({@code orders}, so sales' views print {@code sales.orders} qualified), a
   * view of sales reading a public table and a function of sales, one of public reading sales, a
   * view over a view, a string literal that looks like a name, an enum of sales shadowed by one of
   * public, and a view whose alias is the schema's name (not recreated: the rewrite could not tell
   * them apart).
   */
  private static String twoSchemaTenant(String name, int customers) {
    String url = TestPostgres.createDatabase("cs_" + name);
    TestPostgres.execute(
        url,
        """
        SET search_path TO public, sales;
        CREATE SCHEMA sales;
        CREATE TYPE public.state AS ENUM ('new');
        CREATE TYPE sales.state AS ENUM ('open', 'closed');
        CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE public.orders (id serial PRIMARY KEY, note text NOT NULL);
        CREATE TABLE sales.orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES public.customers, amount numeric(10,2) NOT NULL,
          state sales.state NOT NULL DEFAULT 'open');
        CREATE TABLE sales.invoices (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES sales.orders, paid boolean NOT NULL DEFAULT false);
        CREATE FUNCTION sales.net(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT round($1 * 0.8, 2) $$;
        INSERT INTO public.customers (name) SELECT '%1$s ' || g FROM generate_series(1, %2$d) g;
        INSERT INTO public.orders (note) SELECT 'note ' || g FROM generate_series(1, %2$d + 1) g;
        INSERT INTO sales.orders (customer_id, amount, state) SELECT 1 + g %% %2$d, 5 * g, CASE WHEN g %% 3 = 0 THEN 'closed' ELSE 'open' END::sales.state
          FROM generate_series(1, 2 * %2$d) g;
        INSERT INTO sales.invoices (order_id, paid) SELECT g, g %% 2 = 0 FROM generate_series(1, 2 * %2$d) g;
        CREATE VIEW public.customer_totals AS SELECT c.name, sum(o.amount) AS total FROM customers c JOIN sales.orders o ON o.customer_id = c.id
          GROUP BY c.name;
        CREATE VIEW public.notes AS SELECT count(*) AS n FROM orders;
        CREATE VIEW sales.big_orders AS SELECT o.id, c.name, net(o.amount) AS net, 'sales.orders' AS source FROM sales.orders o
          JOIN customers c ON c.id = o.customer_id WHERE o.amount > 10 AND o.state = 'open';
        CREATE VIEW sales.unpaid AS SELECT i.id, b.name FROM invoices i JOIN big_orders b ON b.id = i.order_id WHERE NOT i.paid;
        CREATE VIEW sales.aliased AS SELECT sales.id FROM sales.orders sales;
        """
            .formatted(name, customers));
    return url;
  }

  /** The queries an application of {@link #twoSchemaTenant} runs with its search path. */
  private static final String[] TWO_SCHEMA_QUERIES = {
    "SELECT string_agg(name || ':' || total, ',' ORDER BY name) FROM customer_totals",
    "SELECT string_agg(id || ':' || name || ':' || net || ':' || source, ',' ORDER BY id) FROM"
        + " big_orders",
    "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM unpaid",
    "SELECT n::text FROM notes",
    "SELECT count(*)::text FROM orders",
    "SELECT string_agg(id || ':' || paid, ',' ORDER BY id) FROM invoices"
  };

  @Test
  void anApplicationOfTwoSchemasKeepsItsSearchPathInTheCompatibilitySchemas() throws Exception {
    String acme = twoSchemaTenant("acme", 4);
    String globex = twoSchemaTenant("globex", 6);
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse)
            .tenantInSchemas("acme", acme, java.util.List.of("public", "sales"))
            .tenantInSchemas("globex", globex, java.util.List.of("public", "sales"))
            .set("target.compat-schemas", true)
            .build(reports);

    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'kind' || ' ' || (e->>'name') || ' ' || (e->>'outcome') FROM"
                    + " tenantfold.plans, jsonb_array_elements(plan->'code_objects') e WHERE"
                    + " e->>'kind' LIKE '%view'"))
        .containsExactlyInAnyOrder(
            "view customer_totals COMPAT_SCHEMAS",
            "view notes COMPAT_SCHEMAS",
            "view sales.big_orders COMPAT_SCHEMAS",
            "view sales.unpaid COMPAT_SCHEMAS",
            "view sales.aliased NOT_RECREATED");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'detail' FROM tenantfold.plans,"
                    + " jsonb_array_elements(plan->'code_objects') e WHERE e->>'name' ="
                    + " 'sales.aliased'"))
        .singleElement()
        .asString()
        .contains("both as a schema and on its own");

    for (String[] t : new String[][] {{"acme", acme}, {"globex", globex}}) {
      String path = "tenant_" + t[0] + ", tenant_" + t[0] + "_sales";
      for (String query : TWO_SCHEMA_QUERIES) {
        assertThat(RowSets.underSearchPath(warehouse, path, query))
            .as("%s with search path %s", query, path)
            .isEqualTo(RowSets.underSearchPath(t[1], "public, sales", query));
      }
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM sales.unpaid GROUP BY tenant_id ORDER BY"
                    + " 1"))
        .as("sales' views united in target schema sales")
        .containsExactly(
            "acme " + RowSets.count(acme, "SELECT count(*) FROM sales.unpaid"),
            "globex " + RowSets.count(globex, "SELECT count(*) FROM sales.unpaid"));

    // The application's writes, unchanged: into sales' tables through its search path, its tenant
    // filled in, its rows only.
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_acme, tenant_acme_sales",
                "INSERT INTO invoices (order_id) VALUES (1) RETURNING paid::text"))
        .isEqualTo("false");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM sales.invoices WHERE order_id = 1 GROUP"
                    + " BY tenant_id ORDER BY 1"))
        .containsExactly("acme 2", "globex 1");
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_acme, tenant_acme_sales",
                "WITH u AS (UPDATE invoices SET paid = true WHERE order_id = 3 RETURNING 1)"
                    + " SELECT count(*)::text FROM u"))
        .as("an update touches the tenant's row only")
        .isEqualTo("1");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || paid FROM sales.invoices WHERE order_id = 3 ORDER BY"
                    + " 1"))
        .containsExactly("acme true", "globex false");
    assertThat(
            RowSets.underSearchPath(
                warehouse,
                "tenant_globex, tenant_globex_sales",
                "SELECT count(*)::text FROM unpaid"))
        .as("another tenant's views do not see it")
        .isEqualTo(
            RowSets.underSearchPath(globex, "public, sales", "SELECT count(*)::text FROM unpaid"));
    assertThatThrownBy(
            () ->
                RowSets.underSearchPath(
                    warehouse,
                    "tenant_acme, tenant_acme_sales",
                    "INSERT INTO invoices (order_id, tenant_id) VALUES (1, 'globex')"
                        + " RETURNING 1"))
        .as(
            "a row of another tenant is refused (the view's check option or the tenant role's"
                + " policy)")
        .satisfiesAnyOf(
            e -> assertThat(e).hasMessageContaining("check option"),
            e -> assertThat(e).hasMessageContaining("row-level security policy"));

    // A re-run rebuilds every schema of the tenant with the republished data, and drops one of a
    // source schema it no longer has. A
    // view naming a schema no tenant consolidates reads the target's table of that name, every
    // tenant's rows: it is not created.
    TestPostgres.execute(acme, "INSERT INTO sales.invoices (order_id) VALUES (2)");
    TestPostgres.execute(
        warehouse,
        "CREATE SCHEMA tenant_acme_old; COMMENT ON SCHEMA tenant_acme_old IS 'tenantfold"
            + " compatibility schema of tenant acme, source schema old'; CREATE SCHEMA audit;"
            + " CREATE TABLE audit.log (x int); INSERT INTO audit.log VALUES (1)");
    TestPostgres.execute(
        acme,
        "CREATE SCHEMA audit; CREATE TABLE audit.log (x int); CREATE VIEW public.audit_count AS"
            + " SELECT count(*) FROM audit.log");
    RunResult rerun = new MigrationJob(config, spark).execute();
    assertThat(rerun.exitCode()).isZero();
    assertThat(rerun.notes())
        .as("the view left out is in the run's notes, not only in the log")
        .anySatisfy(
            n ->
                assertThat(n + " " + String.join(" ", rerun.noteItems(n)))
                    .contains(
                        "tenant acme:",
                        "not recreated in its compatibility schemas",
                        "audit_count"));
    for (String query : TWO_SCHEMA_QUERIES) {
      assertThat(RowSets.underSearchPath(warehouse, "tenant_acme, tenant_acme_sales", query))
          .as("re-run: %s", query)
          .isEqualTo(RowSets.underSearchPath(acme, "public, sales", query));
    }

    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT (to_regnamespace('tenant_acme_old') IS NULL AND"
                    + " to_regclass('tenant_acme.audit_count') IS NULL)::text"))
        .as(
            "a stale schema of the tenant's is dropped; a view that would read a table outside its"
                + " schemas is rolled back")
        .containsExactly("true");
  }

  @Test
  void aSchemaMapRenamesTheTargetSchemaNotTheCompatibilitySchema() throws Exception {
    String acme = twoSchemaTenant("mapped", 3);
    String warehouse = Fixtures.emptyWarehouse();
    dev.tenantfold.testing.Roles.ensure("tf_cs_app", "LOGIN NOSUPERUSER NOBYPASSRLS");
    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenantInSchemas("acme", acme, java.util.List.of("public", "sales"))
                    .set("target.compat-schemas", true)
                    .set("target.schema-map", java.util.Map.of("sales", "sales_mt"))
                    .set("target.row-level-security", true)
                    .set("target.application-role", "tf_cs_app")
                    .build(reports),
                spark)
            .execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    for (String query : TWO_SCHEMA_QUERIES) {
      // Under row-level security a session sees the rows of the tenant it has set, also through
      // the compatibility schemas.
      assertThat(
              RowSets.underSearchPath(
                  warehouse,
                  "tenant_acme, tenant_acme_sales",
                  "SET app.tenant_id = 'acme'; " + query))
          .as("%s", query)
          .isEqualTo(RowSets.underSearchPath(acme, "public, sales", query));
    }
    // The application role reaches every compatibility schema of the tenant (grants on each), with
    // row-level security on.
    try (Connection app = dev.tenantfold.testing.Roles.connect(warehouse, "tf_cs_app");
        Statement st = app.createStatement()) {
      st.execute("SET app.tenant_id = 'acme'; SET search_path TO tenant_acme, tenant_acme_sales");
      try (ResultSet rs = st.executeQuery(TWO_SCHEMA_QUERIES[2])) {
        rs.next();
        assertThat(rs.getString(1))
            .isEqualTo(RowSets.underSearchPath(acme, "public, sales", TWO_SCHEMA_QUERIES[2]));
      }
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT to_regclass('sales_mt.big_orders') IS NOT NULL AND"
                    + " to_regclass('tenant_acme_sales.big_orders') IS NOT NULL AND"
                    + " to_regnamespace('tenant_acme_sales_mt') IS NULL"))
        .as("named by the source schema; united in the mapped one")
        .containsExactly("t");
  }

  @Test
  void generatedColumnsRecomputeAndDomainsKeepTheirChecks() throws Exception {
    String[] urls = new String[2];
    for (int i = 0; i < 2; i++) {
      urls[i] = TestPostgres.createDatabase(i == 0 ? "acme" : "globex");
      TestPostgres.execute(
          urls[i],
          """
          CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
          CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, release_year year, price numeric(6,2) NOT NULL,
            price_with_tax numeric(8,2) GENERATED ALWAYS AS (price * 1.2) STORED);
          INSERT INTO film (title, release_year, price) SELECT 'film ' || g, 1990 + g %% 30, g FROM generate_series(1, %d) g;
          """
              .formatted(10 * (i + 1)));
    }
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse).tenant("acme", urls[0]).tenant("globex", urls[1]).build(reports);

    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(
            new AuditJob(config, java.util.Optional.empty(), java.util.Optional.empty())
                .execute()
                .exitCode())
        .as("validate agrees: the computed column checksums as the source's")
        .isZero();

    RowSets.assertSameRows(
        urls[1],
        warehouse,
        "globex",
        "film",
        java.util.List.of("film_id", "title", "release_year", "price", "price_with_tax"));
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT format_type(atttypid, atttypmod) || ' ' || attgenerated::text FROM"
                    + " pg_attribute WHERE attrelid = 'public.film'::regclass AND attname IN"
                    + " ('release_year', 'price_with_tax') ORDER BY attname"))
        .as("a generated column and a domain column, as in the source")
        .containsExactly("numeric(8,2) s", "year ");
    assertThat(
            RowSets.rows(
                warehouse,
                "UPDATE public.film SET price = 10 WHERE tenant_id = 'acme' AND film_id = 1"
                    + " RETURNING price_with_tax::text"))
        .as("the generated column recomputes")
        .containsExactly("12.00");
    assertThatThrownBy(
            () ->
                RowSets.rows(
                    warehouse,
                    "INSERT INTO public.film (tenant_id, title, release_year, price) VALUES"
                        + " ('acme', 'old', 1800, 1)"))
        .as("the domain's CHECK holds in the target")
        .hasMessageContaining("year_check");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'kind' || ' ' || (e->>'name') || ' ' || (e->>'outcome') FROM"
                    + " tenantfold.plans, jsonb_array_elements(plan->'code_objects') e"))
        .contains("domain year CONSOLIDATED");
  }
}
