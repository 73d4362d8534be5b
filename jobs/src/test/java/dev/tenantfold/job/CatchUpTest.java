package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logical catch-up end to end (issue 19, docs/catch-up.md): a writer keeps changing the tenant's
 * source during {@code run} and {@code catch-up}; after it stops and {@code cutover}, every table
 * equals the source row for row and the next id of every sequence is past the source's.
 */
class CatchUpTest {
  /**
   * Taken when a test runs, not when the class is first used: other test classes use this class's
   * helpers early, and a session captured then may be stopped (a CLI run stops its session) by the
   * time these tests run.
   */
  private final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  static final String SCHEMA =
      """
      CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, notes text);
      ALTER TABLE customers ALTER COLUMN notes SET STORAGE EXTERNAL;
      CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2),
        status text, placed timestamptz DEFAULT now());
      CREATE TABLE tags (code text, lang text, label text, PRIMARY KEY (code, lang));
      CREATE TABLE scratch (id int PRIMARY KEY, v text);
      INSERT INTO customers (name, notes)
        SELECT 'customer ' || g, (SELECT string_agg(md5(g::text || s::text), '') FROM generate_series(1, 120) s)
          FROM generate_series(1, 200) g;
      INSERT INTO orders (customer_id, amount, status)
        SELECT 1 + g % 200, g * 1.25, 'new' FROM generate_series(1, 2000) g;
      INSERT INTO tags SELECT 'c' || g, l, 'label ' || g FROM generate_series(1, 100) g, unnest(ARRAY['en', 'fr']) l;
      INSERT INTO scratch SELECT g, 'v' || g FROM generate_series(1, 50) g;
      """;

  static final List<String> TABLES = List.of("customers", "orders", "tags", "scratch");

  private static String source(String name) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(url, SCHEMA);
    return url;
  }

  static String hocon(String warehouse, String tenant, String url, String extraTenants) {
    return """
    tenantfold {
      target { url = "%s", user = postgres, password = postgres }
      tenants = [
        { id = %s, jdbc { url = "%s", user = postgres, password = postgres }, catch-up { mode = logical } }
        %s
      ]
    }
    """
        .formatted(warehouse, tenant, url, extraTenants);
  }

  /** Tenant acme alone, read over JDBC with the given {@code catch-up} block's body. */
  static TenantfoldConfig acmeOnly(String warehouse, Path reports, String url, String catchUp) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres }, catch-up { %s } } ]
            }
            """
                .formatted(warehouse, reports.toString(), url, catchUp)));
  }

  TenantfoldConfig config(String hocon) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(hocon)
            .withFallback(
                ConfigFactory.parseString(
                    "tenantfold.report.dir = \"" + reports.toString().replace("\\", "/") + "\"")));
  }

  /** A writer running random transactions on the source until stopped. */
  static final class Writer implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    Writer(String url, long seed) {
      thread =
          new Thread(
              () -> {
                Random random = new Random(seed);
                try (Connection conn = TestPostgres.connect(url)) {
                  conn.setAutoCommit(false);
                  while (!stop.get()) {
                    try (Statement st = conn.createStatement()) {
                      step(st, random);
                      if (random.nextInt(10) == 0) {
                        conn.rollback();
                      } else {
                        conn.commit();
                      }
                      transactions.incrementAndGet();
                    } catch (SQLException e) {
                      // A key update colliding with an existing key: retry another step.
                      conn.rollback();
                    }
                  }
                } catch (Throwable t) {
                  failure.set(t);
                }
              },
              "catch-up-writer");
      thread.start();
    }

    private static void step(Statement st, Random random) throws SQLException {
      int c = 1 + random.nextInt(200);
      int o = 1 + random.nextInt(2000);
      switch (random.nextInt(9)) {
        case 0 ->
            st.execute(
                "INSERT INTO customers (name, notes) VALUES ('new "
                    + random.nextInt()
                    + "', (SELECT string_agg(md5(random()::text), '') FROM generate_series(1,"
                    + " 100)))");
        case 1 ->
            // Leaves the TOASTed notes unchanged: pgoutput sends them as an "unchanged" marker.
            st.execute("UPDATE customers SET name = name || '+' WHERE id = " + c);
        case 2 -> {
          // One transaction over two tables.
          st.execute(
              "INSERT INTO orders (customer_id, amount, status) VALUES ("
                  + c
                  + ", "
                  + random.nextInt(10000) / 100.0
                  + ", 'new')");
          st.execute(
              "UPDATE customers SET notes = md5(random()::text) WHERE id = " + (c % 200 + 1));
        }
        case 3 ->
            st.execute("UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id = " + o);
        case 4 -> st.execute("DELETE FROM orders WHERE id = " + o);
        case 5 ->
            // A key update.
            st.execute("UPDATE orders SET id = id + 100000 WHERE id = " + o);
        case 6 ->
            st.execute(
                "UPDATE tags SET code = code || 'x' WHERE code = (SELECT code FROM tags ORDER BY"
                    + " random() LIMIT 1) AND lang = 'fr'");
        case 7 ->
            st.execute(
                "INSERT INTO tags VALUES ('n"
                    + random.nextInt(1_000_000)
                    + "', 'en', NULL) ON CONFLICT DO NOTHING");
        default ->
            st.execute("UPDATE scratch SET v = v || '.' WHERE id = " + (1 + random.nextInt(50)));
      }
    }

    /** Waits until the writer committed or rolled back {@code more} further transactions. */
    void awaitMore(long more) throws InterruptedException {
      long target = transactions.get() + more;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (transactions.get() < target && System.nanoTime() < deadline && failure.get() == null) {
        Thread.sleep(5);
      }
      assertThat(failure.get()).as("writer failure").isNull();
      assertThat(transactions.get()).as("writer progress").isGreaterThanOrEqualTo(target);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join();
      assertThat(failure.get()).as("writer failure").isNull();
    }
  }

  static String run(CatchUpJob job, String... tenants) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = job.catchUp(List.of(tenants), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    return code + "|" + out;
  }

  static String cutover(CatchUpJob job, String tenant) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = job.cutover(tenant, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + "|" + bytes.toString(StandardCharsets.UTF_8);
  }

  static void assertSameTables(String source, String warehouse, String tenant) {
    assertSameRows(source, warehouse, tenant, "customers", List.of("id", "name", "notes"));
    assertSameRows(
        source,
        warehouse,
        tenant,
        "orders",
        List.of("id", "customer_id", "amount", "status", "placed"));
    assertSameRows(source, warehouse, tenant, "tags", List.of("code", "lang", "label"));
    assertSameRows(source, warehouse, tenant, "scratch", List.of("id", "v"));
  }

  static void assertSameRows(
      String source, String warehouse, String tenant, String table, List<String> columns) {
    String cols = String.join(", ", columns);
    List<String> s =
        RowSets.rows(source, "SELECT ROW(" + cols + ")::text FROM " + table + " ORDER BY 1");
    List<String> t =
        RowSets.rows(
            warehouse,
            "SELECT ROW("
                + cols
                + ")::text FROM public."
                + table
                + " WHERE tenant_id = '"
                + tenant
                + "' ORDER BY 1");
    assertThat(t).as("tenant %s table %s, row for row", tenant, table).isEqualTo(s);
  }

  /**
   * The cutover's row counts carried from the base copy by the applied inserts and deletes (no
   * count on either side) equal each source table's count.
   */
  static void assertCarriedCountsMatchSource(String cutoverOutput, String source) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("rows carried from the base copy: (.*)")
            .matcher(cutoverOutput);
    assertThat(m.find()).as("carried counts printed: %s", cutoverOutput).isTrue();
    java.util.Map<String, Long> carried = new java.util.TreeMap<>();
    for (String entry : m.group(1).trim().split(", ")) {
      String[] parts = entry.split(" ");
      carried.put(parts[0].replaceFirst("^public\\.", ""), Long.parseLong(parts[1]));
    }
    java.util.Map<String, Long> counted = new java.util.TreeMap<>();
    for (String table : carried.keySet()) {
      counted.put(table, RowSets.count(source, "SELECT count(*) FROM " + table));
    }
    assertThat(carried).as("carried row counts against the source's count(*)").isEqualTo(counted);
  }

  static void assertSequencesPastSource(String source, String warehouse, String tenant) {
    for (String[] seq : List.of(new String[] {"customers", "id"}, new String[] {"orders", "id"})) {
      long sourceLast =
          RowSets.count(source, "SELECT last_value FROM " + seq[0] + "_" + seq[1] + "_seq");
      long next =
          RowSets.count(warehouse, "SELECT nextval('public." + seq[0] + "_" + seq[1] + "_seq')");
      assertThat(next)
          .as(
              "next %s.%s in the target is past the source sequence's %d",
              seq[0], seq[1], sourceLast)
          .isGreaterThan(sourceLast);
    }
  }

  private static List<String> globexCounts(String warehouse) {
    return TABLES.stream()
        .map(
            t ->
                t
                    + " "
                    + RowSets.count(
                        warehouse,
                        "SELECT count(*) FROM public." + t + " WHERE tenant_id = 'globex'"))
        .toList();
  }

  @Test
  void aWriterDuringRunAndCatchUpEndsWithTheTargetEqualToTheSource() throws Exception {
    String acme = source("catchup_acme");
    String globex = source("catchup_globex");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        config(
            hocon(
                warehouse,
                "acme",
                acme,
                ", { id = globex, jdbc { url = \""
                    + globex
                    + "\", user = postgres, password = postgres } }"));
    List<String> globexRows = List.of();
    try (Writer writer = new Writer(acme, 42)) {
      writer.awaitMore(50);
      RunResult result = new MigrationJob(config, spark).execute();
      assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
      globexRows = globexCounts(warehouse);
      writer.awaitMore(300);
      CatchUpJob job = new CatchUpJob(config);
      assertThat(run(job)).as("catch-up while the writer runs").startsWith("0|");
      writer.awaitMore(100);
      TestPostgres.execute(
          acme, "TRUNCATE scratch; INSERT INTO scratch VALUES (7, 'after truncate')");
      writer.awaitMore(300);
      // The TRUNCATE takes scratch from 50 rows to 1: past the shrink guard, allowed here.
      CatchUpJob allowingShrink =
          new CatchUpJob(
              config(
                  hocon(
                          warehouse,
                          "acme",
                          acme,
                          ", { id = globex, jdbc { url = \""
                              + globex
                              + "\", user = postgres, password = postgres } }")
                      + "tenantfold.publish.allow-shrink = [acme]"));
      assertThat(run(allowingShrink, "acme"))
          .as("second catch-up, its line with the lag left")
          .startsWith("0|")
          .containsPattern("changes/s\\); lag \\d+ bytes, \\d+\\.\\d s");
      writer.awaitMore(100);
    }
    CatchUpJob job = new CatchUpJob(config);
    String verdict = cutover(job, "acme");
    assertThat(verdict)
        .as("cutover")
        .startsWith("0|")
        .contains("CUT OVER")
        .contains("Freeze window");
    assertSameTables(acme, warehouse, "acme");
    // Carried through inserts, deletes, key updates, a TRUNCATE and rolled-back transactions.
    assertCarriedCountsMatchSource(verdict, acme);
    assertSequencesPastSource(acme, warehouse, "acme");
    assertThat(globexCounts(warehouse))
        .as("the other tenant's rows, untouched by acme's changes and TRUNCATE")
        .isEqualTo(globexRows)
        .contains("scratch 50");
    assertThat(
            RowSets.count(
                acme,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .as("slot dropped by cutover")
        .isZero();
    assertThat(RowSets.count(acme, "SELECT count(*) FROM pg_publication"))
        .as("publication dropped")
        .isZero();
    assertThat(run(job, "acme"))
        .as("a cut-over tenant is not caught up again")
        .startsWith("1|")
        .contains("cut over");

    // The application now writes to the target: a later run must not replace that write with the
    // source's rows unless told explicitly.
    TestPostgres.execute(
        warehouse, "INSERT INTO public.scratch (tenant_id, id, v) VALUES ('acme', 900001, 'app')");
    RunResult again = new MigrationJob(config, spark).execute();
    assertThat(again.tenants())
        .as("a run after cutover: acme refused, globex republished")
        .anySatisfy(
            t -> {
              assertThat(t.tenantId()).isEqualTo("acme");
              assertThat(t.published()).isFalse();
              assertThat(t.message()).contains("cut over").contains("publish.replace-cut-over");
            })
        .anySatisfy(
            t -> {
              assertThat(t.tenantId()).isEqualTo("globex");
              assertThat(t.published()).isTrue();
            });
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.scratch WHERE tenant_id = 'acme' AND id = 900001"))
        .as("the application's write after cutover survives the refused run")
        .isEqualTo(1);
    RunResult replaced =
        new MigrationJob(
                config(
                    hocon(warehouse, "acme", acme, "")
                        // The shrink guard compares with the base copy's counts (scratch was
                        // truncated since): allowed here, as the runbook says for a reload.
                        + "tenantfold.publish { replace-cut-over = [acme], allow-shrink = [acme]"
                        + " }"),
                spark)
            .execute();
    assertThat(replaced.exitCode()).as("run told to replace: %s", replaced.tenants()).isZero();
    assertSameTables(acme, warehouse, "acme");
  }
}
