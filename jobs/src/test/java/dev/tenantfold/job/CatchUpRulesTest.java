package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.catchup.CatchUpRules;
import dev.tenantfold.catchup.RuledComparison;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catch-up of tables under rules (issue 19, docs/catch-up.md "Tables under rules"): after catch-up,
 * every table of the tenant equals what a fresh run from the source would publish (compared with a
 * fresh run into a second target): a cast whose value becomes uncastable and castable again (the
 * rejects follow), dedup's kept row and quarantine, an excluded column, a default and a column the
 * tenant lacks, a shared table whose delete is listed and not applied, an excluded table; the
 * consolidated table's user trigger does not fire; the shrink guard stops a table losing most of
 * its rows unless allowed.
 */
class CatchUpRulesTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  /** acme: the tenant caught up. Lacks region (a default) and extra (NULL). */
  static final String ACME =
      """
      CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, code text, secret text,
        name_len int GENERATED ALWAYS AS (length(name)) STORED);
      INSERT INTO accounts (id, name, code, secret) VALUES (1, 'Ann', '11', 's1'), (2, 'Bob', '22', 's2'),
        (3, 'Cy', 'x3', 's3'), (4, 'Di', '44', 's4'), (5, 'Ed', '55', 's5');
      CREATE TABLE statuses (id int PRIMARY KEY, customer_id int NOT NULL, status text, updated_at timestamp);
      INSERT INTO statuses VALUES (1, 1, 'old', '2020-01-01'), (2, 1, 'new', '2021-01-01'),
        (3, 2, 'a', '2020-01-01'), (4, 2, 'b', '2020-02-02'), (5, 3, 'only', '2022-02-02');
      CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
      INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France'), ('IT', 'Italy');
      CREATE TABLE events (id int PRIMARY KEY, v text);
      INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, 10) g;
      CREATE TABLE junk (id int PRIMARY KEY, v text);
      INSERT INTO junk VALUES (1, 'j');
      CREATE TABLE scratch (id int PRIMARY KEY, v text);
      INSERT INTO scratch SELECT g, 's' || g FROM generate_series(1, 10) g;
      CREATE PUBLICATION tenantfold_acme FOR TABLE accounts, statuses, countries, events, junk, scratch
        WITH (publish_via_partition_root = true);
      """;

  /** globex: not caught up; has region and extra (with a default in the consolidated table). */
  static final String GLOBEX =
      """
      CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, code text, secret text, region text,
        name_len int GENERATED ALWAYS AS (length(name)) STORED);
      INSERT INTO accounts (id, name, code, secret, region) VALUES (1, 'Gil', '7', 'g', 'US');
      CREATE TABLE statuses (id int PRIMARY KEY, customer_id int NOT NULL, status text, updated_at timestamp);
      INSERT INTO statuses VALUES (1, 1, 'g', '2020-01-01');
      CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
      INSERT INTO countries VALUES ('DE', 'Germany'), ('US', 'United States');
      CREATE TABLE events (id int PRIMARY KEY, v text, extra text DEFAULT 'dflt');
      INSERT INTO events VALUES (1, 'g1', 'x');
      CREATE TABLE junk (id int PRIMARY KEY, v text);
      CREATE TABLE scratch (id int PRIMARY KEY, v text);
      """;

  static final String RULES =
      """
      tenantfold.rules {
        accounts {
          columns { code { cast = bigint }, secret { exclude = true }, region { default = EU } }
          max-rejected-rows = 5
        }
        statuses { dedup { key = [customer_id], keep = "updated_at desc" }, quarantine-duplicates = true }
        countries { shared { on-conflict = first-tenant } }
        junk { exclude = true }
      }
      """;

  private TenantfoldConfig config(
      String warehouse, String acme, String globex, boolean catchUp, String extra) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
                """
                tenantfold {
                  target { url = "%s", user = postgres, password = postgres }
                  report.dir = "%s"
                  tenants = [
                    { id = acme, jdbc { url = "%s", user = postgres, password = postgres }%s }
                    { id = globex, jdbc { url = "%s", user = postgres, password = postgres } }
                  ]
                }
                %s
                %s
                """
                    .formatted(
                        warehouse,
                        reports.toString(),
                        acme,
                        catchUp ? ", catch-up { mode = logical }" : "",
                        globex,
                        RULES,
                        extra))
            .resolve());
  }

  private static List<String> rows(String warehouse, String sql) {
    return RowSets.rows(warehouse, sql);
  }

  /** What acme's tables hold in {@code warehouse}, as comparable text, table by table. */
  private static List<String> published(String warehouse) {
    return List.of(
        String.join(
            "\n",
            rows(
                warehouse,
                "SELECT ROW(id, name, code, region, name_len)::text FROM public.accounts WHERE"
                    + " tenant_id = 'acme' ORDER BY id")),
        String.join(
            "\n",
            rows(
                warehouse,
                "SELECT key::text || ' ' || column_name || ' ' || (row_data->>'code') FROM"
                    + " tenantfold.rejects WHERE tenant_id = 'acme' AND table_name ="
                    + " 'accounts' ORDER BY 1")),
        String.join(
            "\n",
            rows(
                warehouse,
                "SELECT ROW(id, customer_id, status, updated_at)::text FROM public.statuses WHERE"
                    + " tenant_id = 'acme' ORDER BY id")),
        String.join(
            "\n",
            rows(
                warehouse,
                "SELECT key::text || ' ' || row_data::text FROM tenantfold.duplicates"
                    + " WHERE tenant_id = 'acme' AND table_name = 'statuses' ORDER BY 1")),
        String.join(
            "\n",
            rows(
                warehouse,
                "SELECT ROW(id, v, extra)::text FROM public.events WHERE tenant_id = 'acme' ORDER"
                    + " BY id")),
        String.join(
            "\n",
            rows(
                warehouse,
                "SELECT ROW(id, v)::text FROM public.scratch WHERE tenant_id = 'acme' ORDER BY"
                    + " id")));
  }

  /** The keys of {@code table} catch-up changed, each as its values' text. */
  private static List<List<String>> changedKeys(String warehouse, String table) {
    return rows(
            warehouse,
            "SELECT array_to_json(key)::text FROM tenantfold.catchup_changed_keys WHERE tenant_id"
                + " = 'acme' AND table_name = '"
                + table
                + "'")
        .stream()
        .map(k -> List.of(k.substring(2, k.length() - 2).split("\",\"")))
        .toList();
  }

  @Test
  void tablesUnderRulesEndAsAFreshRunWouldPublishThem() throws Exception {
    String acme = TestPostgres.createDatabase("curules_acme");
    TestPostgres.execute(acme, ACME);
    String globex = TestPostgres.createDatabase("curules_globex");
    TestPostgres.execute(globex, GLOBEX);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, acme, globex, true, "");
    RunResult base = new MigrationJob(config, spark).execute();
    assertThat(base.exitCode()).as("base copy: %s", base.tenants()).isZero();
    assertThat(rows(warehouse, "SELECT to_regclass('public.junk') IS NULL")).containsExactly("t");

    // A trigger on the consolidated table: it must not fire for the changes catch-up applies.
    TestPostgres.execute(
        warehouse,
        """
        CREATE TABLE public.audit (op text, id int);
        CREATE FUNCTION public.audit_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.audit VALUES (TG_OP, coalesce(NEW.id, OLD.id)); RETURN NULL; END $$;
        CREATE TRIGGER audit_events AFTER INSERT OR UPDATE OR DELETE ON public.events
          FOR EACH ROW EXECUTE FUNCTION public.audit_events();
        """);

    // Pass 1: a value becomes uncastable, rows move between dedup keys, the shared table changes.
    TestPostgres.execute(
        acme,
        """
        UPDATE accounts SET code = 'bad' WHERE id = 1;
        UPDATE accounts SET code = '33' WHERE id = 3;
        UPDATE accounts SET name = 'Bobby', secret = 'changed' WHERE id = 2;
        INSERT INTO accounts (id, name, code, secret) VALUES (6, 'Fay', 'zz', 's6'), (7, 'Gus', '77', 's7');
        DELETE FROM accounts WHERE id = 4;
        INSERT INTO statuses VALUES (6, 1, 'newest', '2023-01-01');
        UPDATE statuses SET updated_at = '2024-01-01' WHERE id = 3;
        UPDATE statuses SET customer_id = 9 WHERE id = 5;
        UPDATE countries SET name = 'Deutschland' WHERE code = 'DE';
        INSERT INTO countries VALUES ('ES', 'Spain');
        DELETE FROM countries WHERE code = 'IT';
        INSERT INTO events VALUES (11, 'e11');
        UPDATE events SET v = 'changed' WHERE id = 2;
        DELETE FROM events WHERE id = 3;
        INSERT INTO junk VALUES (2, 'never published');
        """);
    CatchUpJob job = new CatchUpJob(config);
    assertThat(CatchUpTest.run(job, "acme")).as("first catch-up").startsWith("0|");
    assertThat(
            rows(
                warehouse,
                "SELECT id FROM public.accounts WHERE tenant_id = 'acme' AND id IN (1, 3) ORDER BY"
                    + " id"))
        .as("account 1 became uncastable (rejected), account 3 castable")
        .containsExactly("3");
    assertThat(
            rows(
                warehouse,
                "SELECT key->>'id' FROM tenantfold.rejects WHERE tenant_id = 'acme' ORDER"
                    + " BY 1"))
        .as("the rejects follow the values")
        .containsExactly("1", "6");

    // Pass 2: castable again; the kept status row deleted; a TOASTed-size value left unchanged.
    TestPostgres.execute(
        acme,
        """
        UPDATE accounts SET code = '12' WHERE id = 1;
        DELETE FROM statuses WHERE id = 3;
        UPDATE statuses SET status = 'moved back', customer_id = 2 WHERE id = 5;
        UPDATE events SET v = 'again' WHERE id = 4;
        """);
    assertThat(CatchUpTest.run(job, "acme")).as("second catch-up").startsWith("0|");

    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.audit"))
        .as("the consolidated table's trigger did not fire for applied changes")
        .isZero();
    assertThat(
            rows(
                warehouse,
                "SELECT kind || ' ' || key::text FROM tenantfold.catchup_shared_deletes"
                    + " WHERE tenant_id = 'acme'"))
        .as("the shared table's delete is listed, not applied")
        .containsExactly("delete {\"code\": \"IT\"}");
    assertThat(rows(warehouse, "SELECT code || ' ' || name FROM public.countries ORDER BY code"))
        .as("shared table: acme's rows by key, its delete not applied")
        .containsExactly("DE Deutschland", "ES Spain", "FR France", "IT Italy", "US United States");
    assertThat(rows(warehouse, "SELECT to_regclass('public.junk') IS NULL"))
        .as("an excluded table is not published, its changes not applied")
        .containsExactly("t");

    // What a fresh run from the source publishes now, in a second target.
    String fresh = Fixtures.emptyWarehouse();
    RunResult again = new MigrationJob(config(fresh, acme, globex, false, ""), spark).execute();
    assertThat(again.exitCode()).as("fresh run: %s", again.tenants()).isZero();
    List<String> expected = published(fresh);
    assertThat(expected.get(0))
        .as("the fresh run has the cast, default and generated column")
        .contains("(1,Ann,12,EU,3)");
    assertThat(published(warehouse)).as("caught up = a fresh run").isEqualTo(expected);
    assertThat(rows(warehouse, "SELECT code || ' ' || name FROM public.countries ORDER BY code"))
        .as("shared table as a fresh run has it, plus the key acme deleted")
        .containsExactlyElementsOf(
            java.util.stream.Stream.concat(
                    rows(fresh, "SELECT code || ' ' || name FROM public.countries").stream(),
                    java.util.stream.Stream.of("IT Italy"))
                .sorted()
                .toList());

    // The cutover's comparison under rules: the changed keys equal what a fresh run publishes.
    try (Connection target = TestPostgres.connect(warehouse);
        Connection source = TestPostgres.connect(acme)) {
      RuledComparison comparison =
          RuledComparison.open(
              config.tenants().get(0),
              base.runId(),
              CatchUpRules.of(config, "acme", List.of()),
              config.target().schemas(),
              config.target().reportSchema(),
              config.tenantColumn(),
              target,
              source);
      assertThat(comparison.covers("events")).as("a table without rules").isFalse();
      for (String table : List.of("accounts", "statuses", "countries")) {
        assertThat(comparison.covers(table)).isTrue();
        assertThat(comparison.differences(table, changedKeys(warehouse, table)))
            .as("table %s: changed keys against a fresh run", table)
            .isEmpty();
      }
      for (String table : List.of("accounts", "statuses")) {
        assertThat(comparison.expectedRows(table))
            .as("table %s: the rows a fresh run publishes", table)
            .contains(comparison.actualRows(table));
      }
      TestPostgres.execute(
          warehouse,
          "UPDATE public.accounts SET name = 'tampered' WHERE tenant_id = 'acme' AND id = 2");
      assertThat(comparison.differences("accounts", changedKeys(warehouse, "accounts")))
          .as("a target row that differs")
          .singleElement()
          .asString()
          .contains("key [\"2\"]")
          .contains("tampered");
      TestPostgres.execute(
          warehouse,
          "UPDATE public.accounts SET name = 'Bobby' WHERE tenant_id = 'acme' AND id = 2");
    }

    // The shrink guard: a table losing most of its rows through catch-up stops the tenant.
    TestPostgres.execute(acme, "DELETE FROM scratch WHERE id > 2");
    String stopped = CatchUpTest.run(job, "acme");
    assertThat(stopped)
        .as("catch-up refuses the shrink")
        .startsWith("1|")
        .contains("scratch")
        .contains("from 10 rows to 2")
        .contains("publish.allow-shrink");
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM public.scratch WHERE tenant_id = 'acme'"))
        .as("nothing of the refused batch applied")
        .isEqualTo(10);
    assertThat(CatchUpTest.run(job.allowingShrink(List.of("globex")), "acme"))
        .as("--allow-shrink naming another tenant")
        .startsWith("1|");
    assertThat(CatchUpTest.run(job.allowingShrink(List.of("acme")), "acme"))
        .as("allowed by --allow-shrink acme")
        .startsWith("0|");
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM public.scratch WHERE tenant_id = 'acme'"))
        .isEqualTo(2);

    // Cutover compares the tables under rules with what a fresh run publishes, and enables the
    // triggers again: the application's writes fire them.
    assertThat(CatchUpTest.cutover(job, "acme")).as("cutover").startsWith("0|");
    TestPostgres.execute(
        warehouse, "INSERT INTO public.events (tenant_id, id, v) VALUES ('acme', 900, 'app')");
    assertThat(rows(warehouse, "SELECT op || ' ' || id FROM public.audit"))
        .as("after cutover the trigger fires")
        .containsExactly("INSERT 900");
  }
}
