package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of tenants that drifted apart (docs/reconcile.md): missing and extra columns, types that
 * widen (also in a target table published before), an incompatible type with and without a cast,
 * duplicates by key and exact, cast rejects under and over the threshold. Checked as a user would:
 * the plan's text, the rows in the target, the report's counts and rejects.
 */
class ReconcileTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  /** The first tenant: the narrower types, a fax column, duplicate statuses and events. */
  private static String acme() {
    String url = TestPostgres.createDatabase("acme");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id integer PRIMARY KEY, name varchar(50) NOT NULL, balance numeric(10,2), fax text, region text NOT NULL,
          legacy_code text);
        INSERT INTO customers VALUES (1, 'Ann', 10.50, '555-1', 'US', '100'), (2, 'Bob', -3.25, NULL, 'DE', NULL);
        CREATE TABLE customer_status (customer_id int NOT NULL, status text, updated_at timestamp);
        INSERT INTO customer_status VALUES (1, 'old', '2020-01-01'), (1, 'new', '2021-01-01'), (2, 'undated', NULL), (2, 'dated', '2020-05-05');
        CREATE TABLE events (kind text, at timestamp(3));
        INSERT INTO events VALUES ('a', '2020-01-01 00:00:00.123'), ('a', '2020-01-01 00:00:00.123'), ('a', '2020-01-01 00:00:00.123'),
          ('b', '2020-01-02 00:00:00'), ('b', '2020-01-02 00:00:00.001');
        """);
    return url;
  }

  /** Wider types, no fax and no region, one legacy code that is not a number. */
  private static String globex() {
    String url = TestPostgres.createDatabase("globex");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,4), legacy_code text, vip boolean);
        INSERT INTO customers VALUES (5000000000, 'Cy', 12345678.1234, '7', true), (2, 'Di', 0.0001, 'x1', NULL);
        CREATE TABLE customer_status (customer_id int NOT NULL, status text, updated_at timestamp);
        INSERT INTO customer_status VALUES (2, 'same', '2020-01-01'), (2, 'same', '2020-01-01');
        CREATE TABLE events (kind text, at timestamp(6));
        INSERT INTO events VALUES ('c', '2020-01-01 00:00:00.123456');
        """);
    return url;
  }

  /** A name that is an integer: does not widen with text, no cast given. */
  private static String initech() {
    String url = TestPostgres.createDatabase("initech");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id integer PRIMARY KEY, name integer, balance numeric(10,2), region text, legacy_code text);
        INSERT INTO customers VALUES (1, 42, 1, 'FR', '1');
        """);
    return url;
  }

  /** Two legacy codes that do not cast: over the threshold of one. */
  private static String umbrella() {
    String url = TestPostgres.createDatabase("umbrella");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, balance numeric(10,2), region text NOT NULL, legacy_code text);
        INSERT INTO customers VALUES (1, 'Eve', 1, 'UK', 'a'), (2, 'Fay', 2, 'UK', 'b'), (3, 'Gus', 3, 'UK', '3');
        """);
    return url;
  }

  private static Map<String, Object> rules() {
    return Map.of(
        "customers",
            Map.of(
                "columns",
                Map.of(
                    "fax",
                    Map.of("exclude", true),
                    "region",
                    Map.of("default", "EU"),
                    "legacy_code",
                    Map.of("cast", "bigint")),
                "max-rejected-rows",
                1),
        "customer_status",
            Map.of(
                "dedup",
                Map.of("key", List.of("customer_id"), "keep", "updated_at desc"),
                "quarantine-duplicates",
                true),
        "events", Map.of("dedup", "exact"));
  }

  @Test
  void planShowsTheDriftThenTheRunWidensDeduplicatesRejectsAndAccountsForEveryRow()
      throws Exception {
    String acme = acme();
    String globex = globex();
    String initech = initech();
    String umbrella = umbrella();
    String warehouse = Fixtures.emptyWarehouse();

    // Run 1: acme alone publishes the narrow types into the target.
    RunResult first =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .set("rules", rules())
                    .build(reports),
                spark)
            .execute();
    assertThat(first.exitCode()).as("first run: %s", first.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute WHERE"
                    + " attrelid = 'public.customers'::regclass AND attname IN ('id', 'balance')"))
        .containsExactly("balance numeric(10,2)", "id integer");

    TenantfoldConfig all =
        Fixtures.config(warehouse)
            .tenant("acme", acme)
            .tenant("globex", globex)
            .tenant("initech", initech)
            .tenant("umbrella", umbrella)
            .set("rules", rules())
            .build(reports);

    // The plan, as a person reads it: moves nothing, names the drift and the one tenant that cannot
    // conform.
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PlanJob.Outcome plan =
        new PlanJob(all, spark)
            .execute(new PrintStream(printed, true, StandardCharsets.UTF_8), Optional.empty());
    String text = printed.toString(StandardCharsets.UTF_8);
    assertThat(plan.clean()).as("the plan has an error").isFalse();
    assertThat(text)
        .contains(
            "Table customers  primary key: tenant column, id",
            "integer in [acme, umbrella], bigint in [globex]: widened to bigint",
            "numeric(10,2) in [acme, umbrella], numeric(12,4) in [globex]: widened to"
                + " numeric(12,4)",
            "character varying(50) in [acme], text in [globex, umbrella]: widened to text",
            "target column is numeric(10,2): altered to numeric(12,4)",
            "target column is integer: altered to bigint",
            "text in [acme, globex, umbrella]: cast to bigint",
            "in [globex], missing in [acme, umbrella]: they load NULL",
            "missing in [globex]: they load the default 'EU'",
            "excluded (not loaded)",
            "deduplicated: one row per [customer_id], keeping the first by [updated_at desc]",
            "column name is integer but the existing target table and tenants acme, globex have"
                + " text, which do not widen",
            "tenantfold.rules.customers.columns.name.cast",
            "Verdict: the plan has errors");
    assertThat(text)
        .as("varchar(50) and text widen to text")
        .containsPattern("name +text +NOT NULL");
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM public.customers WHERE tenant_id <> 'acme'"))
        .as("plan moved no data")
        .isZero();

    // Run 2: every tenant; initech fails on the plan, umbrella on its rejects, acme and globex
    // publish.
    RunResult second = new MigrationJob(all, spark).execute();
    assertThat(tenant(second, "acme").published()).as("acme: %s", tenant(second, "acme")).isTrue();
    assertThat(tenant(second, "globex").published())
        .as("globex: %s", tenant(second, "globex"))
        .isTrue();
    assertThat(tenant(second, "initech").published()).isFalse();
    assertThat(tenant(second, "initech").message()).contains("column name is integer");
    assertThat(tenant(second, "umbrella").published()).isFalse();
    assertThat(table(second, "umbrella", "customers").message())
        .contains("2 rows rejected, more than tenantfold.rules.customers.max-rejected-rows = 1");
    assertThat(second.exitCode()).isNotZero();

    // The target widened in place; acme's published rows kept their values.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER"
                    + " BY attnum) FROM pg_attribute WHERE attrelid = 'public.customers'::regclass"
                    + " AND attnum > 0 AND NOT attisdropped"))
        .containsExactly(
            "tenant_id text, id bigint, name text, balance numeric(12,4), region text, legacy_code"
                + " bigint, vip boolean");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws('|', tenant_id, id, name, balance, region, legacy_code, vip) FROM"
                    + " public.customers ORDER BY tenant_id, id"))
        .containsExactly(
            "acme|1|Ann|10.5000|US|100",
            "acme|2|Bob|-3.2500|DE",
            "globex|5000000000|Cy|12345678.1234|EU|7|t");
    // Deduplicated by key (latest, NULLs last) and exactly.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws('|', tenant_id, customer_id, status) FROM public.customer_status"
                    + " ORDER BY 1"))
        .containsExactly("acme|1|new", "acme|2|dated", "globex|2|same");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws('|', tenant_id, kind, at) FROM public.events ORDER BY 1"))
        .containsExactly(
            "acme|a|2020-01-01 00:00:00.123",
            "acme|b|2020-01-02 00:00:00",
            "acme|b|2020-01-02 00:00:00.001",
            "globex|c|2020-01-01 00:00:00.123456");

    // The removed duplicates, kept in quarantine with their key: exactly the rows not published.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws('|', tenant_id, key, row_data->>'status') FROM"
                    + " tenantfold.duplicates WHERE run_id = '"
                    + second.runId()
                    + "' AND table_name = 'customer_status'"))
        .containsExactly(
            "acme|{\"customer_id\": 1}|old",
            "acme|{\"customer_id\": 2}|undated",
            "globex|{\"customer_id\": 2}|same");

    // Every row accounted for: source = loaded + duplicates removed + rejected.
    assertCounts(table(second, "acme", "customer_status"), 4, 2, 2, 0);
    assertCounts(table(second, "acme", "events"), 5, 3, 2, 0);
    assertCounts(table(second, "globex", "customers"), 2, 1, 0, 1);
    assertCounts(table(second, "globex", "customer_status"), 2, 1, 1, 0);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws('|', tenant_id, table_name, source_rows, loaded_rows,"
                    + " duplicates_removed, rejected_rows) FROM tenantfold.table_results WHERE"
                    + " run_id = '"
                    + second.runId()
                    + "' AND table_name IN ('customers', 'events') ORDER BY 1"))
        .contains("acme|events|5|3|2|0", "globex|customers|2|1|0|1", "umbrella|customers|3|1|0|2");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws('|', tenant_id, key, column_name, reason,"
                    + " row_data->>'legacy_code') FROM tenantfold.rejects WHERE run_id = '"
                    + second.runId()
                    + "' ORDER BY 1"))
        .containsExactly(
            "globex|{\"id\": 2}|legacy_code|invalid input syntax for type bigint: \"x1\"|x1",
            "umbrella|{\"id\": 1}|legacy_code|invalid input syntax for type bigint: \"a\"|a",
            "umbrella|{\"id\": 2}|legacy_code|invalid input syntax for type bigint: \"b\"|b");

    // validate compares the published rows with the deduplicated, cast, defaulted sources: they
    // match.
    RunResult audit =
        new AuditJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .set("rules", rules())
                    .build(reports),
                Optional.empty(),
                Optional.empty())
            .execute();
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();

    // The run stored the plan it followed: beside report.json and in the report tables, with the
    // digest the plan command showed.
    String stored = Files.readString(reports.resolve(second.runId()).resolve("plan.json"));
    assertThat(stored)
        .contains(
            "\"plan_digest\" : \"" + dev.tenantfold.report.PlanWriter.digest(plan.plan()) + "\"");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT plan->>'plan_digest' FROM tenantfold.plans WHERE run_id = '"
                    + second.runId()
                    + "'"))
        .containsExactly(dev.tenantfold.report.PlanWriter.digest(plan.plan()));
  }

  @Test
  void planCommandExitsTwoOnErrorsAndZeroWhenARunCouldProceed() throws Exception {
    String acme = acme();
    String globex = globex();
    String warehouse = Fixtures.emptyWarehouse();
    Path conf = reports.resolve("tenantfold.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [
            { id = acme, jdbc { url = "%s", user = postgres, password = postgres } }
            { id = globex, jdbc { url = "%s", user = postgres, password = postgres } }
          ]
          report.dir = "%s"
          rules { customers { columns { legacy_code { cast = bigint } }, max-rejected-rows = 1 } }
        }
        """
            .formatted(warehouse, acme, globex, reports));
    Path out = reports.resolve("approved/plan.json");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int exit =
        TenantfoldMain.run(
            new String[] {"plan", "--config", conf.toString(), "--out", out.toString()},
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    assertThat(exit).as("stdout: %s%nstderr: %s", stdout, stderr).isZero();
    assertThat(stdout.toString(StandardCharsets.UTF_8))
        .contains("Verdict: a run can proceed", "Plan written to " + out);
    assertThat(Files.readString(out))
        .contains("\"plan_digest\" : \"sha256:", "\"cast\" : \"bigint\"");

    // A rule naming a column no tenant has is a config error naming the rule: exit 2.
    int typo =
        TenantfoldMain.run(
            new String[] {
              "plan",
              "--config",
              conf.toString(),
              "--set",
              "rules.customers.columns.legacy_cod.cast=bigint"
            },
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    assertThat(typo).isEqualTo(2);
    assertThat(stderr.toString(StandardCharsets.UTF_8))
        .contains("tenantfold.rules.customers.columns.legacy_cod", "has no column legacy_cod");
    // An include pattern no tenant has a table for can never select anything: exit 2, naming it.
    int nothing =
        TenantfoldMain.run(
            new String[] {
              "plan",
              "--config",
              conf.toString(),
              "--set",
              "tables.include=[\"custmers*\", \"events\"]"
            },
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    assertThat(nothing).isEqualTo(2);
    assertThat(stderr.toString(StandardCharsets.UTF_8))
        .contains("pattern 'custmers*' matches no table in any tenant");
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
        .as("plan created nothing")
        .isZero();
  }

  @Test
  void planNamesATenantWhoseSchemasHoldNoTable() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse)
            .tenant("acme", acme())
            .tenantInSchemas("globex", globex(), List.of("cd"))
            .build(reports);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    PlanJob.Outcome plan =
        new PlanJob(config, spark)
            .execute(new PrintStream(printed, true, StandardCharsets.UTF_8), Optional.empty());

    assertThat(plan.clean()).as("a tenant with nothing to move is not a clean plan").isFalse();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains(
            "Tenant globex: schemas [cd] hold no table",
            "tenantfold.tenants[1].jdbc.schemas",
            "Verdict: the plan has errors");
  }

  private static void assertCounts(
      TableResult r, long source, long loaded, long duplicates, long rejected) {
    assertThat(
            List.of(
                r.counts().sourceRows(),
                r.counts().loadedRows(),
                r.counts().duplicatesRemoved(),
                r.counts().rejectedRows()))
        .as(
            "%s/%s source, loaded, duplicates removed, rejected (%s)",
            r.tenantId(), r.tableName(), r.message())
        .containsExactly(source, loaded, duplicates, rejected);
    assertThat(r.status())
        .as("%s/%s: %s", r.tenantId(), r.tableName(), r.message())
        .isEqualTo(TableStatus.OK);
  }

  private static TenantResult tenant(RunResult run, String id) {
    return run.tenants().stream().filter(t -> t.tenantId().equals(id)).findFirst().orElseThrow();
  }

  private static TableResult table(RunResult run, String tenant, String table) {
    return tenant(run, tenant).tables().stream()
        .filter(t -> t.tableName().equals(table))
        .findFirst()
        .orElseThrow();
  }
}
