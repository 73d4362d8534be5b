package dev.tenantfold.extract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The exported snapshot against writes that are not MVCC-safe. */
class SourceSnapshotTest {
  private static final TablesConfig ALL = new TablesConfig(List.of("*"), List.of());

  @Test
  void aTruncateBetweenExportAndLockFailsTheTenantInsteadOfReadingAnEmptyTable() throws Exception {
    String url = TestPostgres.createDatabase("snap_truncate");
    TestPostgres.execute(
        url, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)");
    try (SourceSnapshot snapshot =
        SourceSnapshot.export(new JdbcEndpoint(url, "postgres", "postgres"), "acme")) {
      TenantCatalog catalog =
          CatalogReader.read(snapshot.connection(), "acme", List.of("public"), ALL);
      TestPostgres.execute(url, "TRUNCATE t");
      assertThatThrownBy(() -> snapshot.lockTables("acme", catalog.tables()))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("tenant acme table t")
          .hasMessageContaining("truncated or rewritten")
          .hasMessageContaining("run again");
    }
  }

  @Test
  void aTruncatedPartitionOfAPartitionedTableIsCaughtToo() throws Exception {
    String url = TestPostgres.createDatabase("snap_truncate_part");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE p (id int, region text) PARTITION BY LIST (region);
        CREATE TABLE p_eu PARTITION OF p FOR VALUES IN ('eu');
        CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us');
        INSERT INTO p SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 100) g;
        """);
    try (SourceSnapshot snapshot =
        SourceSnapshot.export(new JdbcEndpoint(url, "postgres", "postgres"), "acme")) {
      // Before the catalog read: reading a partitioned table's catalog already locks its
      // partitions.
      TestPostgres.execute(url, "TRUNCATE p_us");
      TenantCatalog catalog =
          CatalogReader.read(snapshot.connection(), "acme", List.of("public"), ALL);
      assertThat(catalog.tables()).extracting(TableSpec::name).containsExactly("p");
      assertThatThrownBy(() -> snapshot.lockTables("acme", catalog.tables()))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("p_us")
          .hasMessageContaining("truncated or rewritten");
    }
  }

  @Test
  void locksHoldOffATruncateUntilTheTenantIsDone() throws Exception {
    String url = TestPostgres.createDatabase("snap_lock");
    TestPostgres.execute(
        url, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)");
    CompletableFuture<Void> truncate;
    try (SourceSnapshot snapshot =
        SourceSnapshot.export(new JdbcEndpoint(url, "postgres", "postgres"), "acme")) {
      snapshot.lockTables(
          "acme",
          CatalogReader.read(snapshot.connection(), "acme", List.of("public"), ALL).tables());
      truncate = CompletableFuture.runAsync(() -> TestPostgres.execute(url, "TRUNCATE t"));
      awaitLockWaiter(url, "t", truncate);
      assertThat(truncate).as("TRUNCATE waits for the snapshot's lock").isNotDone();
      try (Statement st = snapshot.connection().createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1000);
      }
    }
    truncate.get(10, TimeUnit.SECONDS);
  }

  /**
   * Waits until a session is queued for a lock on {@code table} (a lock PostgreSQL has not
   * granted): the proof that the statement reached the lock and waits, not merely that it has not
   * finished yet. Fails if {@code statement} ends first or nothing waits within 10 s.
   */
  private static void awaitLockWaiter(String url, String table, CompletableFuture<Void> statement)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (java.sql.Connection conn = TestPostgres.connect(url);
        java.sql.PreparedStatement ps =
            conn.prepareStatement(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = ?::regclass")) {
      ps.setString(1, table);
      while (true) {
        assertThat(statement).as("the statement ended instead of waiting for the lock").isNotDone();
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            return;
          }
        }
        assertThat(System.nanoTime())
            .as("a session waits for a lock on %s within 10 s", table)
            .isLessThan(deadline);
        Thread.sleep(20);
      }
    }
  }

  @Test
  void rowLevelSecurityFailsTheReadInsteadOfFilteringRows() throws Exception {
    String url = TestPostgres.createDatabase("snap_rls");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE t (id int PRIMARY KEY, owner text); INSERT INTO t SELECT g, CASE WHEN g % 2 = 0 THEN 'app' ELSE 'other' END FROM generate_series(1, 10) g;
        DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tf_rls_reader') THEN CREATE ROLE tf_rls_reader LOGIN; END IF; END $$;
        GRANT SELECT ON t TO tf_rls_reader;
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY only_app ON t FOR SELECT USING (owner = 'app');
        """);
    try (Connection conn = new JdbcEndpoint(url, "tf_rls_reader", null).connect("test");
        Statement st = conn.createStatement()) {
      assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM t"))
          .hasMessageContaining("row-level security");
    }
  }
}
