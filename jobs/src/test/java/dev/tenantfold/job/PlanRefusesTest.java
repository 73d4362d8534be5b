package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * plan refuses (exit 2, naming the key) what run would fail on or silently get wrong: an exclude
 * rule naming no table, a dedup key PostgreSQL cannot sort, two tenants reading one database.
 */
class PlanRefusesTest {
  @TempDir Path dir;

  @Test
  void planExitsTwoWhereTheRunWouldFailOrPublishWhatWasMeantToBeLeftOut() throws Exception {
    String a = TestPostgres.createDatabase("refuse_a");
    TestPostgres.execute(
        a,
        "CREATE TABLE events (id int PRIMARY KEY, body json, at timestamp); INSERT INTO events"
            + " VALUES (1, '{}', now()), (2, '{}', now()); CREATE TABLE secrets (id int PRIMARY"
            + " KEY)");
    String b = TestPostgres.createDatabase("refuse_b");
    TestPostgres.execute(b, "CREATE TABLE events (id int PRIMARY KEY, body json, at timestamp)");
    String warehouse = Fixtures.emptyWarehouse();
    Path conf = dir.resolve("tenantfold.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [
            { id = a, jdbc { url = "%s", user = postgres, password = postgres } }
            { id = b, jdbc { url = "%s", user = postgres, password = postgres } }
          ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, a, b, dir.resolve("reports")));

    assertThat(plan(conf, List.of())).containsEntry("exit", "0");
    assertThat(plan(conf, List.of("rules.secrets.exclude=true"))).containsEntry("exit", "0");

    Map<String, String> typo = plan(conf, List.of("rules.secretz.exclude=true"));
    assertThat(typo).containsEntry("exit", "2");
    assertThat(typo.get("stderr"))
        .contains("tenantfold.rules.secretz.exclude: no tenant has a table named secretz");

    Map<String, String> json = plan(conf, List.of("rules.events.dedup.key=[body]"));
    assertThat(json).containsEntry("exit", "2");
    assertThat(json.get("stderr"))
        .contains("tenantfold.rules.events.dedup", "column body of table events in tenant a")
        .contains("is json, which PostgreSQL cannot sort or group");

    Map<String, String> typoType = plan(conf, List.of("rules.events.columns.id.cast=bigit"));
    assertThat(typoType).containsEntry("exit", "2");
    assertThat(typoType.get("stderr"))
        .contains(
            "tenantfold.rules.events.columns.id.cast: type bigit exists neither on the target");
    assertThat(plan(conf, List.of("rules.events.columns.id.cast=\"numeric(14,4)\"")))
        .containsEntry("exit", "0");

    Path twice = dir.resolve("twice.conf");
    String sameAsA = a.replace("localhost", "127.0.0.1") + "?ApplicationName=x";
    Files.writeString(
        twice, Files.readString(conf).replace("\"" + b + "\"", "\"" + sameAsA + "\""));
    Map<String, String> same = plan(twice, List.of());
    assertThat(same).containsEntry("exit", "2");
    assertThat(same.get("stderr"))
        .contains("tenants [a, b] all read")
        .contains("one database would be published as 2 tenants")
        .contains("tenantfold.publish.allow-same-database");
    assertThat(plan(twice, List.of("publish.allow-same-database=true"))).containsEntry("exit", "0");
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
        .as("plan created nothing")
        .isZero();
  }

  @Test
  void aRunLeavingOutATableThatReferencesOneItRepublishesIsRefusedBeforeAnyTransfer()
      throws Exception {
    String a = Fixtures.demoTenant("refuse_fk", 10);
    String warehouse = Fixtures.emptyWarehouse();
    Path conf = dir.resolve("fk.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [ { id = a, jdbc { url = "%s", user = postgres, password = postgres } } ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, a, dir.resolve("reports")));
    assertThat(
            TenantfoldMain.run(
                new String[] {"run", "--config", conf.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isZero();
    List<String> before =
        RowSets.rows(warehouse, "SELECT ROW(c.*)::text FROM public.customers c ORDER BY id");

    Map<String, String> refused = plan(conf, List.of("tables.include=[customers]"));
    assertThat(refused).containsEntry("exit", "2");
    assertThat(refused.get("stderr"))
        .contains("table customers is referenced by orders (foreign key")
        .contains("include orders in the run too, or leave customers out");
    assertThat(plan(conf, List.of("tables.include=[customers, orders, order_items]")))
        .containsEntry("exit", "0");

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int run =
        TenantfoldMain.run(
            new String[] {
              "run", "--config", conf.toString(), "--set", "tables.include=[customers]"
            },
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(run).as("run refuses what its plan refuses").isEqualTo(2);
    assertThat(RowSets.rows(warehouse, "SELECT ROW(c.*)::text FROM public.customers c ORDER BY id"))
        .isEqualTo(before);
  }

  private static Map<String, String> plan(Path conf, List<String> sets) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    java.util.List<String> args =
        new java.util.ArrayList<>(List.of("plan", "--config", conf.toString()));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    int exit =
        TenantfoldMain.run(
            args.toArray(String[]::new),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    return Map.of(
        "exit",
        Integer.toString(exit),
        "stdout",
        stdout.toString(StandardCharsets.UTF_8),
        "stderr",
        stderr.toString(StandardCharsets.UTF_8));
  }
}
