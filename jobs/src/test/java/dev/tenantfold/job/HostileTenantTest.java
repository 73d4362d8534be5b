package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile tenant next to an honest one (issue 20, item 1): the hostile tenant's source holds a
 * SECURITY DEFINER function reading the honest tenant's partition by name, a materialized view over
 * a function that sets the tenant setting and reads, one over a function that deletes, and a
 * trigger that changes the tenant setting and writes elsewhere. After publish, whoever calls that
 * code (the application role set to either tenant, through either compatibility schema or the views
 * united in the target schema), no honest row is read, changed or deleted, and the honest tenant
 * validates exact. Its code runs as the hostile tenant's own role (docs/security.md), never with
 * the loader's rights.
 */
class HostileTenantTest {
  private static final String APP = "tf_hostile_app";

  private static SparkSession spark;

  @TempDir Path reports;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.session();
    Roles.ensure(APP, "LOGIN NOSUPERUSER NOBYPASSRLS");
  }

  /** Customers named {@code <tenant>-<n>}, orders, and a loot table the hostile trigger fills. */
  private static String tenant(String name) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, amount int NOT NULL);
        CREATE TABLE loot (id bigserial PRIMARY KEY, body text);
        INSERT INTO customers SELECT g, '%1$s-' || g FROM generate_series(1, 20) g;
        INSERT INTO orders SELECT g, 1 + g %% 20, g FROM generate_series(1, 50) g;
        INSERT INTO loot (body) VALUES ('%1$s-loot');
        """
            .formatted(name));
    return url;
  }

  /**
   * The hostile code. Every attack is guarded by "am I in the consolidated database" (the tenant
   * column exists), so the source itself stays intact.
   */
  private static final String HOSTILE_CODE =
      """
      CREATE FUNCTION consolidated() RETURNS boolean LANGUAGE sql AS $$
        SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.customers'::regclass AND attname = 'tenant_id') $$;
      CREATE FUNCTION steal() RETURNS TABLE(id int, name text) LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        RETURN QUERY EXECUTE 'SELECT id, name FROM tenantfold_partitions_honest.customers__honest';
      EXCEPTION WHEN others THEN RETURN;
      END $$;
      CREATE FUNCTION steal_by_setting() RETURNS TABLE(id int, name text) LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        IF consolidated() THEN PERFORM set_config('app.tenant_id', 'honest', true); END IF;
        RETURN QUERY EXECUTE 'SELECT id, name FROM public.customers';
      END $$;
      CREATE FUNCTION peek() RETURNS TABLE(id int, name text) LANGUAGE plpgsql AS $$
      BEGIN
        IF consolidated() THEN PERFORM set_config('app.tenant_id', 'honest', true); END IF;
        RETURN QUERY EXECUTE 'SELECT id, name FROM public.customers';
      END $$;
      CREATE MATERIALIZED VIEW mv_peek AS SELECT * FROM peek();
      CREATE FUNCTION wipe() RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE n bigint := 0;
      BEGIN
        IF consolidated() THEN
          BEGIN
            EXECUTE 'DELETE FROM tenantfold_partitions_honest.orders__honest';
          EXCEPTION WHEN others THEN NULL;
          END;
          PERFORM set_config('app.tenant_id', 'honest', true);
          BEGIN
            EXECUTE 'DELETE FROM public.orders';
            GET DIAGNOSTICS n = ROW_COUNT;
          EXCEPTION WHEN others THEN NULL;
          END;
        END IF;
        RETURN n;
      END $$;
      CREATE MATERIALIZED VIEW mv_wipe AS SELECT wipe() AS n;
      CREATE FUNCTION spy() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF consolidated() THEN
          BEGIN
            PERFORM set_config('app.tenant_id', 'hostile', true);
            INSERT INTO public.loot (body) VALUES ('copied ' || NEW.name);
          EXCEPTION WHEN others THEN NULL;
          END;
          BEGIN
            PERFORM set_config('app.tenant_id', 'honest', true);
            INSERT INTO public.loot (body) SELECT 'stolen ' || c.name FROM public.customers c;
            DELETE FROM public.loot;
          EXCEPTION WHEN others THEN NULL;
          END;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER spy AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION spy();
      CREATE FUNCTION grab() RETURNS text LANGUAGE plpgsql AS $$
      DECLARE mine text := current_setting('app.tenant_id', true); got text;
      BEGIN
        IF consolidated() THEN
          BEGIN
            PERFORM set_config('app.tenant_id', 'honest', true);
            SELECT string_agg(name, ',') INTO got FROM public.customers;
            DELETE FROM public.orders;
          EXCEPTION WHEN others THEN NULL;
          END;
          PERFORM set_config('app.tenant_id', mine, true);
        END IF;
        RETURN coalesce(got, 'nothing');
      END $$;
      ALTER TABLE loot ADD COLUMN note text DEFAULT grab();
      CREATE FUNCTION audit_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF consolidated() THEN
          PERFORM set_config('app.tenant_id', 'honest', true);
          DELETE FROM public.customers;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER audit_deletes AFTER DELETE ON orders FOR EACH STATEMENT EXECUTE FUNCTION audit_deletes();
      CREATE MATERIALIZED VIEW mv_names AS SELECT name FROM customers;
      CREATE MATERIALIZED VIEW mv_later AS SELECT count(*) AS n FROM customers WITH NO DATA;
      """;

  @Test
  void aHostileTenantsCodeNeverReachesAnotherTenantsRows() throws Exception {
    String honest = tenant("honest");
    String hostile = tenant("hostile");
    TestPostgres.execute(hostile, HOSTILE_CODE);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse)
            .tenant("honest", honest)
            .tenant("hostile", hostile)
            .set("target.row-level-security", true)
            .set("target.application-role", APP)
            .set("target.compat-schemas", true)
            .build(reports);

    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    List<String> honestOrders = ordersOf(warehouse, "honest");
    assertThat(honestOrders)
        .as("honest's orders after the run, whose refreshes ran the hostile functions")
        .hasSize(50);

    // Everything the hostile tenant's code returns, in sessions of either tenant.
    for (String session : List.of("honest", "hostile")) {
      for (String query :
          List.of(
              "SELECT name FROM tenant_hostile.steal()",
              "SELECT name FROM tenant_hostile.steal_by_setting()",
              "SELECT name FROM tenant_hostile.peek()",
              "SELECT name FROM tenant_hostile.mv_peek",
              "SELECT name FROM public.mv_peek",
              "SELECT name FROM tenant_hostile.mv_names",
              "SELECT name FROM public.mv_names",
              "SELECT name FROM tenant_honest.customers",
              "SELECT name FROM tenant_hostile.customers",
              "SELECT name FROM public.customers")) {
        // An error reads nothing; what matters is that no call returns another tenant's row.
        for (String name : appRowsOrNone(warehouse, session, query)) {
          assertThat(name)
              .as("%s as a session of %s", query, session)
              .startsWith(session + "-")
              .doesNotStartWith(session.equals("honest") ? "hostile-" : "honest-");
        }
      }
      assertThat(appRows(warehouse, session, "SELECT name FROM tenant_" + session + ".customers"))
          .as("customers of %s seen through its compatibility schema", session)
          .hasSize(20);
      // Calling the deleting function directly deletes nothing of honest's.
      appRowsOrNone(warehouse, session, "SELECT tenant_hostile.wipe()::text");
    }
    assertThat(ordersOf(warehouse, "honest"))
        .as("honest's orders after the hostile tenant's refreshes and calls")
        .isEqualTo(honestOrders);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT name FROM tenant_hostile.mv_peek WHERE name NOT LIKE 'hostile-%'"))
        .as("rows of another tenant in the hostile materialized view")
        .isEmpty();
    assertThat(appRows(warehouse, "hostile", "SELECT count(*)::text FROM mv_names"))
        .as("the hostile tenant's own materialized view, filled as that tenant")
        .containsExactly("20");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT relname || ' ' || relispopulated FROM pg_class WHERE relname LIKE"
                    + " 'mv_later%' AND relkind = 'm'"))
        .as("a materialized view created WITH NO DATA stays unfilled")
        .containsExactly("mv_later__stored false");

    // The honest tenant audits exact after the refreshes and calls.
    RunResult audit = new AuditJob(config, Optional.empty(), Optional.empty()).execute();
    TenantResult honestAudit =
        audit.tenants().stream()
            .filter(t -> t.tenantId().equals("honest"))
            .findFirst()
            .orElseThrow();
    for (TableResult table : honestAudit.tables()) {
      assertThat(table.status())
          .as("audit of honest.%s: %s", table.tableName(), table.message())
          .isEqualTo(TableStatus.OK);
    }

    // The hostile trigger fires for the hostile tenant's rows only, and reaches no honest row.
    appRows(
        warehouse,
        "honest",
        "INSERT INTO tenant_honest.customers (id, name) VALUES (1001, 'honest-new') RETURNING"
            + " name");
    appRows(
        warehouse,
        "hostile",
        "INSERT INTO tenant_hostile.customers (id, name) VALUES (1001, 'hostile-new') RETURNING"
            + " name");
    assertThat(RowSets.rows(warehouse, "SELECT tenant_id || ' ' || body FROM public.loot"))
        .as("loot after inserts of both tenants: nothing copied, stolen or deleted across tenants")
        .doesNotContain("hostile copied honest-new")
        .contains("hostile copied hostile-new")
        .noneMatch(r -> r.contains("stolen honest-"))
        .contains("honest honest-loot");
  }

  /**
   * Column defaults are tenant code too (issue 20, the gap security.md named): the hostile tenant's
   * {@code loot.note} defaults to a function that switches the tenant setting to the honest tenant,
   * reads its customers and deletes its orders. Its definition is the only one (the honest tenant
   * has no such default), so the consolidated table's default calls it whoever inserts; it must run
   * as the hostile tenant's role, reaching no honest row, for inserts by sessions of either tenant,
   * through the consolidated table and the compatibility schemas. The hostile statement-level
   * trigger is not recreated (it would fire for every tenant's statements) and the plan and the
   * run's notes say so. Every partition has row-level security forced, with the parent's policy.
   */
  @Test
  void defaultsAndStatementTriggersOfAHostileTenantReachNoOtherTenant() throws Exception {
    String honest = tenant("honest");
    String hostile = tenant("hostile");
    TestPostgres.execute(hostile, HOSTILE_CODE);
    String warehouse = Fixtures.emptyWarehouse();
    for (boolean compat : List.of(false, true)) {
      TenantfoldConfig config =
          Fixtures.config(warehouse)
              .tenant("honest", honest)
              .tenant("hostile", hostile)
              .set("target.row-level-security", true)
              .set("target.application-role", APP)
              .set("target.compat-schemas", compat)
              .build(reports);
      RunResult result = new MigrationJob(config, spark).execute();
      assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
      List<String> honestOrders = ordersOf(warehouse, "honest");
      assertThat(honestOrders).hasSize(50);
      List<String> into =
          compat
              ? List.of("public.loot", "tenant_honest.loot", "tenant_hostile.loot")
              : List.of("public.loot");
      for (String session : List.of("honest", "hostile")) {
        for (String table : into) {
          List<String> notes =
              appRowsOrNone(
                  warehouse,
                  session,
                  "INSERT INTO " + table + " (body) VALUES ('by " + session + "') RETURNING note");
          assertThat(notes)
              .as("note of a row %s inserted into %s (compat schemas %s)", session, table, compat)
              .noneMatch(n -> n != null && n.contains("honest-"));
        }
      }
      assertThat(ordersOf(warehouse, "honest"))
          .as("honest's orders after inserts that ran the hostile default (compat %s)", compat)
          .isEqualTo(honestOrders);
      assertThat(
              RowSets.rows(
                  warehouse,
                  "SELECT count(*)::text FROM public.loot WHERE note LIKE '%honest-%'"
                      + " OR body LIKE 'by %' AND note IS NULL AND tenant_id = 'hostile'"))
          .as("rows holding honest's customers, or hostile rows whose default did not run")
          .containsExactly("0");

      // The statement-level trigger: listed, not recreated, never silent.
      assertThat(
              RowSets.rows(
                  warehouse,
                  "SELECT DISTINCT e->>'outcome' FROM tenantfold.plans p,"
                      + " jsonb_array_elements(p.plan->'code_objects') e WHERE e->>'kind' ="
                      + " 'trigger' AND e->>'name' = 'orders.audit_deletes'"))
          .containsExactly("NOT_RECREATED");
      assertThat(result.notes())
          .as("the run's notes")
          .anyMatch(n -> n.contains("trigger orders.audit_deletes"));
      assertThat(
              RowSets.rows(
                  warehouse, "SELECT tgname FROM pg_trigger WHERE tgname = 'audit_deletes'"))
          .isEmpty();
      appRowsOrNone(warehouse, "hostile", "DELETE FROM public.orders WHERE id = 1");
      assertThat(
              RowSets.rows(
                  warehouse,
                  "SELECT count(*)::text FROM public.customers WHERE tenant_id = 'honest'"))
          .containsExactly("20");
      TestPostgres.execute(warehouse, "DELETE FROM public.loot WHERE body LIKE 'by %'");
    }
    // Partitions: row-level security forced, with the parent's tenant policy, so the loader (their
    // owner) too reads one by name only as the tenant its session names.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid AND"
                    + " c.relkind = 'r' JOIN pg_class p ON p.oid = i.inhparent AND p.relnamespace ="
                    + " 'public'::regnamespace WHERE NOT (c.relrowsecurity AND"
                    + " c.relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policy q WHERE"
                    + " q.polrelid = c.oid AND q.polname = 'tenantfold_partition_isolation'))"))
        .as("partitions without forced row-level security and the partition policy")
        .isEmpty();
  }

  private static List<String> ordersOf(String warehouse, String tenant) {
    return RowSets.rows(
        warehouse,
        "SELECT id || ':' || amount FROM public.orders WHERE tenant_id = '"
            + tenant
            + "' ORDER BY id");
  }

  private static List<String> appRowsOrNone(String warehouse, String tenant, String sql) {
    try {
      return appRows(warehouse, tenant, sql);
    } catch (SQLException e) {
      return List.of();
    }
  }

  /**
   * The first column of every row {@code sql} returns to the application role set to a tenant, its
   * search path that tenant's compatibility schema (as its application would run).
   */
  private static List<String> appRows(String warehouse, String tenant, String sql)
      throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection conn = Roles.connect(warehouse, APP)) {
      try (PreparedStatement ps =
          conn.prepareStatement(
              "SELECT set_config('app.tenant_id', ?, false), set_config('search_path', ?,"
                  + " false)")) {
        ps.setString(1, tenant);
        ps.setString(2, "tenant_" + tenant);
        ps.execute();
      }
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }
}
