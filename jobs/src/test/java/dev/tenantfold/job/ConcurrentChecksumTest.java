package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A staged table's target checksum and its keys do not wait for each other: the key is built as a
 * unique index (a SHARE lock) that the checksum's read passes, on a connection and thread of its
 * own; without a second connection the checksum is computed on the run's session afterwards.
 */
class ConcurrentChecksumTest {
  private static final TargetTable TABLE =
      new TargetTable(
          "orders",
          List.of(
              new ColumnSpec("id", "bigint", true, null, false),
              new ColumnSpec("note", "text", false, null, false)),
          List.of("id"));

  /** A target with one staged table of {@code rows} rows of tenant acme, keys not yet built. */
  private static StagingTable staged(String url, int rows) throws SQLException {
    TestPostgres.execute(
        url,
        "CREATE SCHEMA tf_report; CREATE SCHEMA tf_staging; CREATE TABLE public.orders (tenant_id"
            + " text NOT NULL, id bigint NOT NULL, note text) PARTITION BY LIST (tenant_id)");
    try (Connection conn = TestPostgres.connect(url)) {
      new StagingRegistry("tf_report").ensureTable(conn);
      StagingTable staging =
          StagingTable.of(
              new StagingRegistry("tf_report").register(conn, "r1", "acme", "orders", "tf_staging"),
              "public",
              TABLE,
              "tenant_id",
              "acme");
      staging.create(conn);
      TestPostgres.execute(
          url,
          "INSERT INTO "
              + staging.qualifiedName()
              + " SELECT 'acme', i, 'note ' || i FROM generate_series(1, "
              + rows
              + ") i");
      return staging;
    }
  }

  private static ChecksumSql queries(StagingTable staging) {
    return ChecksumQueries.target(TABLE, staging.qualifiedName(), null, 16);
  }

  private static JdbcEndpoint endpoint(String url) {
    return new JdbcEndpoint(url, "postgres", "postgres", "the target");
  }

  /** How many sessions named like {@code application} wait for a lock. */
  private static long waitingForALock(String url, String application) {
    return RowSets.count(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND"
            + " application_name LIKE '%"
            + application
            + "'");
  }

  /** Waits until {@code state} holds (at most two minutes, then fails naming {@code what}). */
  private static void awaitTrue(String what, BooleanSupplier state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!state.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void theChecksumReadsTheTableWhileItsKeyIsBeingBuilt() throws Exception {
    String url = TestPostgres.createDatabase("cc_overlap");
    StagingTable staging = staged(url, 2_000);
    TableChecksum expected;
    try (Connection conn = TestPostgres.connect(url)) {
      expected = ChecksumSide.sql(conn, queries(staging)).checksum();
    }

    try (Connection blocker = TestPostgres.connect(url);
        Connection keys = endpoint(url).connect("tf-r1-keys")) {
      // A writer's lock the key's index build (SHARE) waits for and a read does not: the key build
      // is held half-way, as a long index build would be.
      blocker.setAutoCommit(false);
      blocker
          .createStatement()
          .execute("LOCK TABLE " + staging.qualifiedName() + " IN ROW EXCLUSIVE MODE");
      CompletableFuture<Void> building =
          CompletableFuture.runAsync(
              () -> {
                try {
                  staging.buildKeys(keys, false);
                } catch (SQLException e) {
                  throw new CompletionException(e);
                }
              });
      awaitTrue(
          "the key build waits for the writer's lock", () -> waitingForALock(url, "-keys") == 1);

      ConcurrentChecksum lane = ConcurrentChecksum.open(endpoint(url), "r1", "acme");
      ConcurrentChecksum.Pending concurrent = lane.start(queries(staging));
      try {
        CompletableFuture<TableChecksum> sums =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return concurrent.await(null);
                  } catch (SQLException e) {
                    throw new CompletionException(e);
                  }
                });
        // Either the checksum ends, or it queues behind the key build: the state, not a time.
        awaitTrue(
            "the checksum ends or waits for a lock",
            () -> sums.isDone() || waitingForALock(url, "-validate-acme") > 0);
        assertThat(waitingForALock(url, "-validate-acme"))
            .as("the checksum does not wait for the key being built")
            .isZero();
        assertThat(sums.join())
            .as("the checksum read while the key was built is the table's")
            .isEqualTo(expected);
        assertThat(building).as("the key build still waits").isNotDone();
      } finally {
        // Released first: a checksum queued behind the key would otherwise never end.
        blocker.rollback();
        concurrent.close();
        lane.close();
      }
      building.join();
    }
    assertThat(
            RowSets.count(
                url,
                "SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND conrelid = '"
                    + staging.qualifiedName()
                    + "'::regclass"))
        .as("the key is built once the writer is gone")
        .isOne();
  }

  @Test
  void withoutASecondConnectionTheChecksumIsComputedOnTheSessionAfterwards() throws Exception {
    String url = TestPostgres.createDatabase("cc_fallback");
    StagingTable staging = staged(url, 100);
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    JdbcEndpoint unreachable =
        endpoint(url).withUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/none");

    try (Connection session = TestPostgres.connect(url);
        ConcurrentChecksum lane = ConcurrentChecksum.open(unreachable, "r1", "acme");
        ConcurrentChecksum.Pending concurrent = lane.start(queries(staging))) {
      TableChecksum expected = ChecksumSide.sql(session, queries(staging)).checksum();
      assertThat(concurrent.await(ChecksumSide.sql(session, queries(staging))))
          .as("the session's checksum, computed when asked for")
          .isEqualTo(expected);
    }
  }

  /** The backend pid and start of the tenant's one checksum session. */
  private static String checksumSession(String url) {
    return RowSets.rows(
            url,
            "SELECT pid || '@' || backend_start FROM pg_stat_activity WHERE application_name LIKE"
                + " '%-validate-acme'")
        .toString();
  }

  @Test
  void oneConnectionServesTheTenantsTablesAndAFailedChecksumGivesWayToANewOne() throws Exception {
    String url = TestPostgres.createDatabase("cc_lane");
    StagingTable staging = staged(url, 100);
    try (Connection session = TestPostgres.connect(url);
        ConcurrentChecksum lane = ConcurrentChecksum.open(endpoint(url), "r1", "acme")) {
      TableChecksum expected = ChecksumSide.sql(session, queries(staging)).checksum();
      try (ConcurrentChecksum.Pending first = lane.start(queries(staging))) {
        assertThat(first.await(null)).isEqualTo(expected);
      }
      String before = checksumSession(url);
      assertThat(before).as("one checksum session, kept for the next table").matches("\\[[^,]+\\]");
      try (ConcurrentChecksum.Pending second = lane.start(queries(staging))) {
        assertThat(second.await(null)).isEqualTo(expected);
      }
      assertThat(checksumSession(url)).as("the next table's checksum ran on it").isEqualTo(before);

      TestPostgres.execute(url, "ALTER TABLE " + staging.qualifiedName() + " RENAME TO gone");
      try (ConcurrentChecksum.Pending failing = lane.start(queries(staging))) {
        assertThatThrownBy(() -> failing.await(null)).isInstanceOf(SQLException.class);
      }
      TestPostgres.execute(
          url,
          "ALTER TABLE tf_staging.gone RENAME TO "
              + staging.qualifiedName().replaceFirst("^.*\\.", ""));
      try (ConcurrentChecksum.Pending after = lane.start(queries(staging))) {
        assertThat(after.await(null)).as("the table after a failure").isEqualTo(expected);
      }
      assertThat(checksumSession(url))
          .as("a session that failed a checksum is replaced")
          .isNotEqualTo(before)
          .matches("\\[[^,]+\\]");
    }
  }
}
