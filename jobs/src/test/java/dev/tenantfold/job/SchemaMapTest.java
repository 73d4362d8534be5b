package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Source schemas are mapped, not flattened (issue 8): two tables of one name in two schemas stay
 * two tables, each schema's enum types stay its own, {@code schema-map} renames a target schema,
 * and rules and include/exclude name tables as {@code schema.table}.
 */
class SchemaMapTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  /**
   * A tenant with an {@code orders} table in public and in sales, each schema with its own {@code
   * status} enum.
   */
  private static String tenant(String name, String salesLabels, int salesOrders) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TYPE public.status AS ENUM ('open', 'closed');
        CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL);
        INSERT INTO public.customers VALUES (1, 'Ada'), (2, 'Grace');
        CREATE TABLE public.orders (id serial PRIMARY KEY, customer_id int REFERENCES public.customers, state public.status NOT NULL);
        INSERT INTO public.orders (customer_id, state) VALUES (1, 'open'), (2, 'closed');
        CREATE SCHEMA sales;
        CREATE TYPE sales.status AS ENUM (%s);
        CREATE TABLE sales.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES public.customers, state sales.status,
          note text);
        INSERT INTO sales.orders SELECT g, 1 + g %% 2, 'shipped', 'n' || g FROM generate_series(1, %d) g;
        CREATE TABLE sales.scratch (id int PRIMARY KEY);
        CREATE SCHEMA unused;
        CREATE TYPE unused.mood AS ENUM ('happy');
        """
            .formatted(salesLabels, salesOrders));
    return url;
  }

  @Test
  void schemasStayApartWithTheirOwnEnumsKeysAndRules() throws Exception {
    String acme = tenant("sm_acme", "'new', 'shipped'", 5);
    String globex = tenant("sm_globex", "'new', 'shipped'", 3);
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse)
            .tenantInSchemas("acme", acme, List.of("public", "sales"))
            .tenantInSchemas("globex", globex, List.of("public", "sales"))
            .set("target.schema-map", Map.of("sales", "sales_mt"))
            .set("tables.exclude", List.of("sales.scratch"))
            .set(
                "rules",
                Map.of("sales.orders", Map.of("columns", Map.of("note", Map.of("exclude", true)))))
            .build(reports);

    RunResult run = new MigrationJob(config, spark).execute();

    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.orders GROUP BY tenant_id ORDER BY"
                    + " 1"))
        .containsExactly("acme 2", "globex 2");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM sales_mt.orders GROUP BY tenant_id ORDER"
                    + " BY 1"))
        .containsExactly("acme 5", "globex 3");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'sales_mt'"
                    + " AND table_name = 'orders' AND column_name = 'note'"))
        .as("the rule named sales.orders excluded its column")
        .containsExactly("0");
    assertThat(RowSets.rows(warehouse, "SELECT to_regclass('sales_mt.scratch') IS NULL"))
        .as("excluded as sales.scratch")
        .containsExactly("t");
    // Each schema's enum is its own type, with its own labels; a schema nothing consolidates brings
    // no types.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER"
                    + " BY e.enumsortorder) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
                    + " JOIN pg_namespace n ON n.oid = t.typnamespace GROUP BY n.nspname, t.typname"
                    + " ORDER BY 1"))
        .containsExactly("public.status open,closed", "sales_mt.status new,shipped");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.orders (tenant_id, customer_id, state) VALUES ('acme', 1,"
                        + " 'shipped')"))
        .as("sales' label is not valid for public.status")
        .hasMessageContaining("invalid input value for enum");
    // The cross-schema foreign key is tenant-aware and points at the mapped tables.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND"
                    + " conparentid = 0 AND conrelid = 'sales_mt.orders'::regclass"))
        .containsExactly(
            "FOREIGN KEY (tenant_id, customer_id) REFERENCES customers(tenant_id, id)");
    // The report names tables by key.
    assertThat(
            RowSets.rows(
                warehouse, "SELECT DISTINCT table_name FROM tenantfold.table_results ORDER BY 1"))
        .containsExactly("customers", "orders", "sales.orders");
    RunResult audit =
        new AuditJob(config, java.util.Optional.empty(), java.util.Optional.empty()).execute();
    assertThat(audit.exitCode()).as("validate agrees: %s", audit.tenants()).isZero();
    // An insert without an id draws from public.orders' own sequence, past every tenant's values.
    TestPostgres.execute(
        warehouse,
        "INSERT INTO public.orders (tenant_id, customer_id, state) VALUES ('acme', 1, 'open')");
    assertThat(
            RowSets.rows(warehouse, "SELECT max(id) FROM public.orders WHERE tenant_id = 'acme'"))
        .containsExactly("3");
  }

  /**
   * Functions, domains, defaults, CHECKs and triggers of two schemas with one name each stay their
   * schema's own, also when {@code schema-map} renames the schema: {@code sales.label()} and a cast
   * to {@code sales.status} are read qualified (public's objects of one name shadow them) and must
   * name {@code sales_mt} in the target.
   */
  @Test
  void functionsDomainsAndCastsOfTwoSchemasStayTheirSchemasOwn() throws Exception {
    String fixture =
        """
        CREATE TYPE public.status AS ENUM ('open', 'closed');
        CREATE FUNCTION public.label() RETURNS text LANGUAGE sql AS $$ SELECT 'public' $$;
        CREATE FUNCTION public.shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := lower(NEW.note); RETURN NEW; END $$;
        CREATE DOMAIN public.code AS text CHECK (VALUE ~ '^P');
        CREATE TYPE public.addr AS (line text);
        CREATE TABLE public.orders (id int PRIMARY KEY, code public.code, origin text DEFAULT label(), state public.status DEFAULT 'open',
          note text, ship public.addr);
        CREATE TRIGGER shout BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.shout();
        INSERT INTO public.orders VALUES (1, 'P1', 'public', 'open', 'x', ROW('1 Main St'));
        CREATE SCHEMA sales;
        CREATE TYPE sales.status AS ENUM ('new', 'shipped', 'void');
        CREATE FUNCTION sales.label() RETURNS text LANGUAGE sql AS $$ SELECT 'sales' $$;
        CREATE FUNCTION sales.shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := upper(NEW.note); RETURN NEW; END $$;
        CREATE DOMAIN sales.code AS text CHECK (VALUE ~ '^S');
        CREATE DOMAIN sales.live AS sales.status CHECK (VALUE <> 'void');
        CREATE TYPE sales.addr AS (street text, zip integer, state sales.status, at timestamptz);
        CREATE TABLE sales.orders (id int PRIMARY KEY, code sales.code, origin text DEFAULT sales.label(),
          state sales.status DEFAULT 'new'::sales.status CHECK (state <> 'void'::sales.status), note text, phase sales.live,
          codes sales.code[], ship sales.addr);
        CREATE TRIGGER shout BEFORE INSERT ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.shout();
        INSERT INTO sales.orders VALUES (1, 'S1', 'sales', 'shipped', 'Y', 'new', '{S1,S2}', ROW('Elm, "North"', 12345, 'shipped', '2026-01-02 03:04:05+00'));
        """;
    String acme = TestPostgres.createDatabase("sm_c_acme");
    String globex = TestPostgres.createDatabase("sm_c_globex");
    TestPostgres.execute(acme, fixture);
    TestPostgres.execute(globex, fixture);
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse)
            .tenantInSchemas("acme", acme, List.of("public", "sales"))
            .tenantInSchemas("globex", globex, List.of("public", "sales"))
            .set("target.schema-map", Map.of("sales", "sales_mt"))
            .build(reports);

    RunResult run = new MigrationJob(config, spark).execute();

    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid ="
                    + " p.pronamespace WHERE n.nspname IN ('public', 'sales_mt', 'sales',"
                    + " 'tenantfold_tenant_acme') ORDER BY 1"))
        .as(
            "default and trigger functions of one name in two schemas: two, in the tenant's own"
                + " schema (tenant code runs as its role)")
        .containsExactly(
            "tenantfold_tenant_acme.label()",
            "tenantfold_tenant_acme.sales__label()",
            "tenantfold_tenant_acme.sales__shout()",
            "tenantfold_tenant_acme.shout()");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT t.oid::regtype::text FROM pg_type t JOIN pg_namespace n ON n.oid ="
                    + " t.typnamespace WHERE t.typtype = 'd' AND n.nspname IN ('public',"
                    + " 'sales_mt', 'sales') ORDER BY 1"))
        .containsExactly("code", "sales_mt.code", "sales_mt.live");
    // Composite types of one name in two schemas stay two, each column declared with its schema's
    // (refused before).
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT attrelid::regclass || '.' || attname || ' ' || format_type(atttypid,"
                    + " atttypmod) FROM pg_attribute WHERE attrelid IN"
                    + " ('sales_mt.orders'::regclass, 'public.orders'::regclass) AND attname ="
                    + " 'ship' ORDER BY 1"))
        .containsExactly("orders.ship addr", "sales_mt.orders.ship sales_mt.addr");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT (ship).street || ' ' || (ship).zip || ' ' || (ship).state || ' ' ||"
                    + " ((ship).at AT TIME ZONE 'UTC') FROM sales_mt.orders WHERE tenant_id ="
                    + " 'acme' AND id = 1"))
        .containsExactly("Elm, \"North\" 12345 shipped 2026-01-02 03:04:05");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT (ship).line FROM public.orders WHERE tenant_id = 'globex' AND id = 1"))
        .containsExactly("1 Main St");
    // A domain over an enum and an array of a domain keep their domains (they loaded as their base
    // types before).
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute WHERE"
                    + " attrelid = 'sales_mt.orders'::regclass AND attname IN ('phase', 'codes')"
                    + " ORDER BY 1"))
        .containsExactly("codes sales_mt.code[]", "phase sales_mt.live");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || phase || ' ' || codes::text FROM sales_mt.orders WHERE"
                    + " id = 1 ORDER BY 1"))
        .containsExactly("acme new {S1,S2}", "globex new {S1,S2}");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales_mt.orders (tenant_id, id, codes) VALUES ('acme', 4,"
                        + " '{S1,P1}')"))
        .as("each element of the array is checked by the domain")
        .hasMessageContaining("code_check");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales_mt.orders (tenant_id, id, phase) VALUES ('acme', 4,"
                        + " 'void')"))
        .hasMessageContaining("live_check");
    // What an application sees: each schema's default, domain, CHECK and trigger, as in the
    // tenant's database.
    TestPostgres.execute(
        warehouse,
        "INSERT INTO sales_mt.orders (tenant_id, id, code, note) VALUES ('acme', 2, 'S2',"
            + " 'Quiet')");
    TestPostgres.execute(
        warehouse,
        "INSERT INTO public.orders (tenant_id, id, code, note) VALUES ('acme', 2, 'P2', 'Quiet')");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT origin || ' ' || state || ' ' || note FROM sales_mt.orders WHERE tenant_id"
                    + " = 'acme' AND id = 2"))
        .containsExactly("sales new QUIET");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT origin || ' ' || state || ' ' || note FROM public.orders WHERE tenant_id ="
                    + " 'acme' AND id = 2"))
        .containsExactly("public open quiet");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales_mt.orders (tenant_id, id, code) VALUES ('acme', 3, 'P3')"))
        .as("sales.code's check, not public's")
        .hasMessageContaining("violates check constraint \"code_check\"");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.orders (tenant_id, id, code) VALUES ('acme', 3, 'S3')"))
        .hasMessageContaining("violates check constraint \"code_check\"");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales_mt.orders (tenant_id, id, state) VALUES ('acme', 3,"
                        + " 'void')"))
        .hasMessageContaining("violates check constraint \"orders_state_check\"");
    assertThat(RowSets.rows(warehouse, "SELECT to_regnamespace('sales') IS NULL"))
        .as("nothing lands in the source schema's name")
        .containsExactly("t");
    RunResult again = new MigrationJob(config, spark).execute();
    assertThat(again.exitCode())
        .as("a re-run finds everything in place: %s", again.tenants())
        .isZero();
  }

  /**
   * A tenant whose source lost a whole schema, published with {@code --allow-shrink}: its
   * partitions of that schema's tables leave before the tables they reference are swapped (a
   * foreign key from {@code sales.orders} to {@code customers} would refuse the other order), and
   * the other tenant keeps everything.
   */
  @Test
  void aTenantThatLostASchemaShrinksPastCrossSchemaForeignKeys() throws Exception {
    String acme = tenant("sm_s_acme", "'new', 'shipped'", 4);
    String globex = tenant("sm_s_globex", "'new', 'shipped'", 3);
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse)
            .tenantInSchemas("acme", acme, List.of("public", "sales"))
            .tenantInSchemas("globex", globex, List.of("public", "sales"))
            .build(reports);
    assertThat(new MigrationJob(config, spark).execute().exitCode()).isZero();
    TestPostgres.execute(acme, "DROP SCHEMA sales CASCADE");

    RunResult refused = new MigrationJob(config, spark).execute();
    assertThat(refused.exitCode()).as("the shrink guard: %s", refused.tenants()).isNotZero();
    RunResult shrunk =
        new MigrationJob(
                config,
                spark,
                new RunOptions(java.util.Set.of("acme"), java.util.Optional.empty(), false))
            .execute();

    assertThat(shrunk.exitCode()).as("tenants: %s", shrunk.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM sales.orders GROUP BY tenant_id ORDER BY"
                    + " 1"))
        .containsExactly("globex 3");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.customers GROUP BY tenant_id ORDER"
                    + " BY 1"))
        .containsExactly("acme 2", "globex 2");
  }

  @Test
  void enumsWhoseLabelsDifferStopThePlanUnlessUnited() throws Exception {
    String acme = tenant("sm_e_acme", "'new', 'shipped'", 2);
    String globex = tenant("sm_e_globex", "'new', 'packed', 'shipped'", 2);
    String warehouse = Fixtures.emptyWarehouse();
    var builder =
        Fixtures.config(warehouse)
            .tenantInSchemas("acme", acme, List.of("public", "sales"))
            .tenantInSchemas("globex", globex, List.of("public", "sales"));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PlanJob.Outcome plan =
        new PlanJob(builder.build(reports), spark)
            .execute(
                new PrintStream(out, true, StandardCharsets.UTF_8), java.util.Optional.empty());
    assertThat(plan.clean()).isFalse();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "enum type sales.status differs between tenants",
            "tenant globex has labels [new, packed, shipped], tenant acme has [new, shipped]",
            "tenantfold.enum-union = [sales.status]");

    var united = builder.set("enum-union", List.of("sales.status")).build(reports);
    RunResult run = new MigrationJob(united, spark).execute();
    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE"
                    + " enumtypid = 'sales.status'::regtype"))
        .as("the union, in source order")
        .containsExactly("new,packed,shipped");
  }

  @Test
  void aRuleNamingATableOfTwoSchemasMustSayWhichOne() {
    String acme = tenant("sm_r_acme", "'new', 'shipped'", 1);
    var config =
        Fixtures.config(Fixtures.emptyWarehouse())
            .tenantInSchemas("acme", acme, List.of("public", "sales"))
            .set("rules", Map.of("orders", Map.of("max-rejected-rows", 1)))
            .build(reports);

    assertThatThrownBy(() -> new MigrationJob(config, spark).execute())
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tables [orders, sales.orders] are all named orders")
        .hasMessageContaining("tenantfold.rules.\"sales.orders\"");
  }
}
