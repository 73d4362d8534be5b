package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A publish swaps a tenant's partitions of every table in one transaction: a reader sees the
 * tenant's old rows or its new rows, in every table at once, never a mix; a publish that fails at
 * any point leaves the old partitions and their rows as they were; other tenants are untouched.
 */
class TenantPublisherTest {
  private static final String STAGING = "tf_staging";
  private static final String PARTITIONS = "tf_partitions";
  private static final List<String> TABLES = List.of("items", "orders");
  private static final List<ColumnSpec> COLUMNS =
      List.of(
          new ColumnSpec("id", "bigint", true, null, false),
          new ColumnSpec("version", "text", false, null, false));

  /**
   * A target where tenants acme and globex have published {@code items} and {@code orders}: acme's
   * rows say version 'old' (3 items, 2 orders), globex's 'globex'.
   */
  private static String publishedTarget(String name) throws Exception {
    String url = TestPostgres.createDatabase(name);
    StringBuilder sql =
        new StringBuilder(
            "CREATE SCHEMA tf_report; CREATE SCHEMA "
                + STAGING
                + "; CREATE SCHEMA "
                + PARTITIONS
                + ";");
    for (String table : TABLES) {
      int oldRows = table.equals("items") ? 3 : 2;
      sql.append("CREATE TABLE public.")
          .append(table)
          .append(
              " (tenant_id text NOT NULL, id bigint NOT NULL, version text,"
                  + " PRIMARY KEY (tenant_id, id)) PARTITION BY LIST (tenant_id);");
      for (String tenant : List.of("acme", "globex")) {
        sql.append("CREATE TABLE ")
            .append(PARTITIONS)
            .append('.')
            .append(table)
            .append("__")
            .append(tenant)
            .append(" PARTITION OF public.")
            .append(table)
            .append(" FOR VALUES IN ('")
            .append(tenant)
            .append("');");
        sql.append("INSERT INTO public.")
            .append(table)
            .append(" SELECT '")
            .append(tenant)
            .append("', g, '")
            .append(tenant.equals("acme") ? "old" : "globex")
            .append("' FROM generate_series(1, ")
            .append(oldRows)
            .append(") g;");
      }
    }
    TestPostgres.execute(url, sql.toString());
    try (Connection conn = TestPostgres.connect(url)) {
      new StagingRegistry("tf_report").ensureTable(conn);
    }
    return url;
  }

  /**
   * acme's new rows of {@code table} (version 'new', {@code rows} of them) in a keyed staging
   * table, as a run leaves them before publish.
   */
  private static StagingTable staged(Connection conn, String url, String table, int rows)
      throws Exception {
    StagingTable.Name name =
        new StagingRegistry("tf_report").register(conn, "r2", "acme", table, STAGING);
    StagingTable staging =
        StagingTable.of(
            name, "public", new TargetTable(table, COLUMNS, List.of("id")), "tenant_id", "acme");
    staging.create(conn);
    TestPostgres.execute(
        url,
        "INSERT INTO "
            + staging.qualifiedName()
            + " SELECT 'acme', g, 'new' FROM generate_series(1, "
            + rows
            + ") g");
    staging.buildKeys(conn, false);
    return staging;
  }

  private static TenantPublisher.Publication publication(List<StagingTable> staged) {
    return new TenantPublisher.Publication("acme", staged, List.of(), "public", PARTITIONS);
  }

  /** What a reader sees of acme in one statement: each table's versions and row count. */
  private static String acmeAsSeen(Statement st) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT (SELECT string_agg(DISTINCT version, ',') || ':' || count(*) FROM public.items"
                + " WHERE tenant_id = 'acme') || ' ' || (SELECT string_agg(DISTINCT version, ',')"
                + " || ':' || count(*) FROM public.orders WHERE tenant_id = 'acme')")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void aConcurrentReaderSeesTheTenantBeforeOrAfterThePublishNeverAMix() throws Exception {
    String url = publishedTarget("publish_swap");
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicBoolean published = new AtomicBoolean();
    CompletableFuture<Integer> reader;
    try (Connection conn = TestPostgres.connect(url)) {
      List<StagingTable> staged =
          List.of(staged(conn, url, "items", 5), staged(conn, url, "orders", 4));
      reader =
          CompletableFuture.supplyAsync(
              () -> {
                int reads = 0;
                try (Connection r = TestPostgres.connect(url);
                    Statement st = r.createStatement()) {
                  // Keep reading until a read after the publish returned.
                  for (boolean after = false; !after; reads++) {
                    after = published.get();
                    seen.add(acmeAsSeen(st));
                  }
                } catch (SQLException e) {
                  throw new IllegalStateException("reader failed: " + e.getMessage(), e);
                }
                return reads;
              });
      // The publish starts only once the reader saw the old rows, so its reads span the swap.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!seen.contains("old:3 old:2")) {
        assertThat(reader).as("the reader failed before the publish").isNotDone();
        assertThat(System.nanoTime())
            .as("the reader saw the old rows within 60 s")
            .isLessThan(deadline);
        Thread.sleep(5);
      }
      TenantPublisher.publish(conn, publication(staged), Duration.ofSeconds(30), tx -> {});
      published.set(true);
    }

    assertThat(reader.get()).as("reads").isPositive();
    assertThat(seen)
        .as("what the reader saw of acme, in one statement over both tables")
        .containsExactlyInAnyOrder("old:3 old:2", "new:5 new:4");
    assertThat(
            RowSets.rows(
                url,
                "SELECT tenant_id || ' ' || version || ' ' || count(*) FROM public.items GROUP BY"
                    + " tenant_id, version ORDER BY 1"))
        .as("globex untouched")
        .containsExactly("acme new 5", "globex globex 3");
    assertThat(
            RowSets.rows(
                url,
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE '"
                    + PARTITIONS
                    + "%' AND i.inhparent = 'public.orders'::regclass"
                    + " ORDER BY 1"))
        .as("acme's new partition took the old one's name")
        .containsExactly("orders__acme", "orders__globex");
    assertThat(
            RowSets.count(
                url, "SELECT count(*) FROM pg_tables WHERE schemaname = '" + STAGING + "'"))
        .as("staging emptied")
        .isZero();
  }

  @Test
  void aPublishThatFailsHalfwayLeavesTheOldPartitionsAndTheirRows() throws Exception {
    String url = publishedTarget("publish_fails");
    try (Connection conn = TestPostgres.connect(url)) {
      StagingTable items = staged(conn, url, "items", 5);
      StagingTable orders = staged(conn, url, "orders", 4);
      // orders' staging gained a column the parent lacks: its ATTACH fails after items was already
      // swapped in the transaction.
      TestPostgres.execute(
          url, "ALTER TABLE " + orders.qualifiedName() + " ADD COLUMN surprise int");

      assertThatThrownBy(
              () ->
                  TenantPublisher.publish(
                      conn, publication(List.of(items, orders)), Duration.ofSeconds(30), tx -> {}))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("surprise");
      assertThat(conn.getAutoCommit()).as("the connection is handed back as it came").isTrue();
    }
    try (Connection r = TestPostgres.connect(url);
        Statement st = r.createStatement()) {
      assertThat(acmeAsSeen(st)).as("acme as before, in both tables").isEqualTo("old:3 old:2");
    }
    assertThat(
            RowSets.count(
                url, "SELECT count(*) FROM pg_tables WHERE schemaname = '" + STAGING + "'"))
        .as("both staging tables still there for a retry or cleanup")
        .isEqualTo(2);
  }

  @Test
  void workThatFailsInThePublishTransactionUndoesTheSwap() throws Exception {
    String url = publishedTarget("publish_report_fails");
    try (Connection conn = TestPostgres.connect(url)) {
      List<StagingTable> staged =
          List.of(staged(conn, url, "items", 5), staged(conn, url, "orders", 4));
      assertThatThrownBy(
              () ->
                  TenantPublisher.publish(
                      conn,
                      publication(staged),
                      Duration.ofSeconds(30),
                      tx -> {
                        throw new SQLException("Cannot record the report rows");
                      }))
          .hasMessage("Cannot record the report rows");
    }
    try (Connection r = TestPostgres.connect(url);
        Statement st = r.createStatement()) {
      assertThat(acmeAsSeen(st))
          .as("the swap is undone with the report rows that failed")
          .isEqualTo("old:3 old:2");
    }
  }

  @Test
  void aReaderHoldingTheTablesPastTheLockTimeoutFailsThePublishAndChangesNothing()
      throws Exception {
    String url = publishedTarget("publish_lock_timeout");
    try (Connection conn = TestPostgres.connect(url);
        Connection longReader = TestPostgres.connect(url)) {
      List<StagingTable> staged =
          List.of(staged(conn, url, "items", 5), staged(conn, url, "orders", 4));
      longReader.setAutoCommit(false);
      try (Statement st = longReader.createStatement()) {
        acmeAsSeen(st);
      }
      assertThatThrownBy(
              () ->
                  TenantPublisher.publish(
                      conn, publication(staged), Duration.ofSeconds(1), tx -> {}))
          .hasMessageContaining("could not lock the target tables within 1 s");
      longReader.rollback();
    }
    try (Connection r = TestPostgres.connect(url);
        Statement st = r.createStatement()) {
      assertThat(acmeAsSeen(st)).isEqualTo("old:3 old:2");
    }
  }
}
