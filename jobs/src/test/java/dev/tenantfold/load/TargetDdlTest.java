package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The target DDL against a real PostgreSQL: safe when two runs create the same tables at once. */
class TargetDdlTest {
  private static final int RUNS_AT_ONCE = 4;

  /** An enum, a table using it and a table without: what a fresh target needs from a first run. */
  private static TargetSchema schema() {
    TreeMap<String, TargetTable> tables = new TreeMap<>();
    tables.put(
        "orders",
        new TargetTable(
            "orders",
            List.of(
                new ColumnSpec("id", "bigint", true, null, false),
                new ColumnSpec("status", "order_status", false, "order_status", false),
                new ColumnSpec("history", "order_status[]", false, "order_status", true)),
            List.of("id")));
    tables.put(
        "customers",
        new TargetTable(
            "customers",
            List.of(
                new ColumnSpec("id", "integer", true, null, false),
                new ColumnSpec("name", "text", false, null, false)),
            List.of("id")));
    tables.put(
        "events",
        new TargetTable(
            "events", List.of(new ColumnSpec("kind", "text", false, null, false)), List.of()));
    return new TargetSchema(
        tables,
        Map.of("order_status", new EnumSpec("order_status", List.of("new", "paid", "shipped"))),
        Map.of());
  }

  @Test
  void concurrentRunsCreatingTheSameTargetSchemaBothSucceed() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(RUNS_AT_ONCE);
    try {
      // The race needs the runs to overlap within milliseconds: try several fresh targets.
      for (int round = 0; round < 5; round++) {
        String warehouse = TestPostgres.createDatabase("warehouse_ddl");
        CyclicBarrier start = new CyclicBarrier(RUNS_AT_ONCE);
        List<Future<Map<String, String>>> runs = new ArrayList<>();
        for (int i = 0; i < RUNS_AT_ONCE; i++) {
          Callable<Map<String, String>> run =
              () -> {
                try (Connection conn = TestPostgres.connect(warehouse)) {
                  start.await();
                  return new TargetDdl("wh", "tenant_id")
                      .apply(conn, schema(), Duration.ofSeconds(10));
                }
              };
          runs.add(pool.submit(run));
        }
        for (Future<Map<String, String>> run : runs) {
          assertThat(run.get())
              .as("tables a concurrent run could not create (round %d)", round)
              .isEmpty();
        }
        assertThat(
                RowSets.rows(
                    warehouse,
                    "SELECT c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n"
                        + " ON n.oid = c.relnamespace WHERE n.nspname = 'wh' AND c.relkind IN ('p',"
                        + " 'r')"))
            .containsExactly("customers p", "events p", "orders p");
        assertThat(
                RowSets.rows(
                    warehouse,
                    "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum"
                        + " WHERE enumtypid = 'wh.order_status'::regtype"))
            .containsExactly("new,paid,shipped");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rowLevelSecurityIsSetUpOnceKeptOnTheNextRunAndFollowsAChangedSetting() throws Exception {
    String warehouse = TestPostgres.createDatabase("warehouse_rls");
    TargetDdl ddl =
        new TargetDdl(
            "wh",
            "tenant_id",
            Optional.of(
                new RowLevelSecurity("wh", "tenant_id", "app.tenant_id", Optional.empty())));
    try (Connection conn = TestPostgres.connect(warehouse)) {
      assertThat(ddl.apply(conn, schema(), Duration.ofSeconds(10))).isEmpty();
    }
    String policies =
        "SELECT c.relname || ' ' || p.oid || ' ' || pg_get_expr(p.polqual, p.polrelid) || ' ' ||"
            + " c.relforcerowsecurity FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE"
            + " p.polname = 'tenantfold_tenant_isolation'";
    List<String> first = RowSets.rows(warehouse, policies);
    assertThat(first)
        .hasSize(3)
        .allSatisfy(
            p ->
                assertThat(p)
                    .contains("current_setting('app.tenant_id'::text, true)")
                    .endsWith(" true"));

    try (Connection conn = TestPostgres.connect(warehouse)) {
      assertThat(ddl.apply(conn, schema(), Duration.ofSeconds(10))).isEmpty();
    }
    assertThat(RowSets.rows(warehouse, policies))
        .as("policies after a second run (same oids: not recreated)")
        .isEqualTo(first);

    TargetDdl renamed =
        new TargetDdl(
            "wh",
            "tenant_id",
            Optional.of(new RowLevelSecurity("wh", "tenant_id", "crm.tenant", Optional.empty())));
    try (Connection conn = TestPostgres.connect(warehouse)) {
      assertThat(renamed.apply(conn, schema(), Duration.ofSeconds(10))).isEmpty();
    }
    assertThat(RowSets.rows(warehouse, policies))
        .hasSize(3)
        .allSatisfy(p -> assertThat(p).contains("current_setting('crm.tenant'::text, true)"));
  }

  @Test
  void aMissingApplicationRoleFailsEveryTableNamingTheKey() throws Exception {
    String warehouse = TestPostgres.createDatabase("warehouse_rls");
    TargetDdl ddl =
        new TargetDdl(
            "wh",
            "tenant_id",
            Optional.of(
                new RowLevelSecurity(
                    "wh", "tenant_id", "app.tenant_id", Optional.of("tf_no_such_role"))));
    try (Connection conn = TestPostgres.connect(warehouse)) {
      assertThat(ddl.apply(conn, schema(), Duration.ofSeconds(10)))
          .hasSize(3)
          .allSatisfy(
              (table, why) ->
                  assertThat(why)
                      .contains(
                          "tf_no_such_role",
                          "does not exist",
                          "tenantfold.target.application-role"));
    }
  }
}
