package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.SourceSnapshot;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A partition transfer is exactly-once: the ledger turns a re-executed Spark task into a no-op. */
class CopyTransferTest {
  private static final String LEDGER = new ReportStore("tenantfold").ledgerTable();

  /**
   * A fresh database set up by {@code sql}, with the report tables (and so the ledger) in place.
   */
  private static String database(String name, String sql) throws Exception {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(url, sql);
    try (var conn = TestPostgres.connect(url)) {
      new ReportStore("tenantfold").ensureTables(conn);
    }
    return url;
  }

  @Test
  void reExecutedTransferDoesNotDuplicateRowsAndAFailedOneLeavesNone() throws Exception {
    String source =
        database(
            "transfer_source",
            "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, E'v\\t' || g FROM"
                + " generate_series(1, 5000) g");
    String target =
        database("transfer_target", "CREATE TABLE staged (tenant_id text, id int, v text)");
    JdbcEndpoint src = new JdbcEndpoint(source, "postgres", "postgres");
    JdbcEndpoint tgt = new JdbcEndpoint(target, "postgres", "postgres");

    try (SourceSnapshot snapshot = SourceSnapshot.export(src, "acme")) {
      TransferUnit unit =
          new TransferUnit(
              "run1",
              "acme",
              "t",
              0,
              2,
              src,
              snapshot.id(),
              "COPY (SELECT 'acme', id, v FROM t WHERE id <= 3000) TO STDOUT",
              tgt,
              "COPY staged (tenant_id, id, v) FROM STDIN",
              CopyFormat.TEXT,
              LEDGER,
              2);

      TransferOutcome first = CopyTransfer.run(unit);
      TransferOutcome retried = CopyTransfer.run(unit);

      assertThat(first.failed()).as("first attempt error: %s", first.error()).isFalse();
      assertThat(first.loadedRows()).isEqualTo(3000);
      assertThat(first.fromLedger()).isFalse();
      assertThat(retried.fromLedger()).isTrue();
      assertThat(retried.loadedRows()).as("counts reported from the ledger").isEqualTo(3000);
      assertThat(RowSets.count(target, "SELECT count(*) FROM staged")).isEqualTo(3000);

      TransferUnit broken =
          new TransferUnit(
              "run1",
              "acme",
              "t",
              1,
              2,
              src,
              snapshot.id(),
              "COPY (SELECT 'acme', id, v, 'one column too many' FROM t WHERE id > 3000) TO STDOUT",
              tgt,
              "COPY staged (tenant_id, id, v) FROM STDIN",
              CopyFormat.TEXT,
              LEDGER,
              2);
      TransferOutcome failed = CopyTransfer.run(broken);
      assertThat(failed.failed()).isTrue();
      assertThat(failed.error()).contains("tenant acme table t partition 2/2");
      assertThat(RowSets.count(target, "SELECT count(*) FROM staged"))
          .as("a failed COPY leaves no rows")
          .isEqualTo(3000);
      assertThat(
              RowSets.count(target, "SELECT count(*) FROM tenantfold.load_ledger WHERE part = 1"))
          .as("nor a ledger row")
          .isZero();
    }
  }

  @Test
  void twoAttemptsAtOnceLoadThePartitionOnce() throws Exception {
    String source =
        database(
            "speculative_source",
            "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 200000)");
    String target = database("speculative_target", "CREATE TABLE staged (tenant_id text, id int)");
    JdbcEndpoint src = new JdbcEndpoint(source, "postgres", "postgres");
    try (SourceSnapshot snapshot = SourceSnapshot.export(src, "acme")) {
      TransferUnit unit =
          new TransferUnit(
              "run1",
              "acme",
              "t",
              0,
              1,
              src,
              snapshot.id(),
              "COPY (SELECT 'acme', id FROM t) TO STDOUT",
              new JdbcEndpoint(target, "postgres", "postgres"),
              "COPY staged (tenant_id, id) FROM STDIN",
              CopyFormat.TEXT,
              LEDGER,
              1);
      // A speculative copy of a task: the second claim waits on the first's uncommitted ledger row.
      var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> CopyTransfer.run(unit));
      var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> CopyTransfer.run(unit));
      List<TransferOutcome> outcomes = List.of(first.get(), second.get());

      assertThat(outcomes)
          .allSatisfy(
              o -> {
                assertThat(o.failed()).as("error: %s", o.error()).isFalse();
                assertThat(o.loadedRows()).isEqualTo(200000);
              });
      assertThat(outcomes).filteredOn(TransferOutcome::fromLedger).hasSize(1);
    }
    assertThat(RowSets.count(target, "SELECT count(*) FROM staged")).isEqualTo(200000);
  }

  @Test
  void transferReadsTheExportedSnapshotNotTheLatestData() throws Exception {
    String source =
        database(
            "snapshot_source",
            "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
    String target = database("snapshot_target", "CREATE TABLE staged (tenant_id text, id int)");
    JdbcEndpoint src = new JdbcEndpoint(source, "postgres", "postgres");
    try (SourceSnapshot snapshot = SourceSnapshot.export(src, "acme")) {
      TestPostgres.execute(
          source, "INSERT INTO t SELECT generate_series(101, 150); DELETE FROM t WHERE id <= 10");
      TransferOutcome outcome =
          CopyTransfer.run(
              new TransferUnit(
                  "run1",
                  "acme",
                  "t",
                  0,
                  1,
                  src,
                  snapshot.id(),
                  "COPY (SELECT 'acme', id FROM t) TO STDOUT",
                  new JdbcEndpoint(target, "postgres", "postgres"),
                  "COPY staged (tenant_id, id) FROM STDIN",
                  CopyFormat.TEXT,
                  LEDGER,
                  1));
      assertThat(outcome.loadedRows()).isEqualTo(100);
    }
    assertThat(RowSets.count(target, "SELECT min(id) FROM staged")).isEqualTo(1);
    assertThat(RowSets.count(target, "SELECT max(id) FROM staged")).isEqualTo(100);
  }

  /** A unit of tenant acme's table t, part {@code part} of 5, copying {@code select}'s rows. */
  private static TransferUnit unitOf(
      JdbcEndpoint src, String snapshotId, JdbcEndpoint tgt, int part, String select) {
    return new TransferUnit(
        "run1",
        "acme",
        "t",
        part,
        5,
        src,
        snapshotId,
        "COPY (" + select + ") TO STDOUT",
        tgt,
        "COPY staged (tenant_id, id, src_pid) FROM STDIN",
        CopyFormat.TEXT,
        LEDGER,
        1);
  }

  @Test
  void aTasksUnitsShareOneSourceAndOneTargetSessionUntilOneFails() throws Exception {
    String source =
        database(
            "batch_source",
            "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 500)");
    // Each row records the source backend that read it and the target backend that wrote it.
    String target =
        database(
            "batch_target",
            "CREATE TABLE staged (tenant_id text, id int, src_pid int, tgt_pid int DEFAULT"
                + " pg_backend_pid())");
    JdbcEndpoint src = new JdbcEndpoint(source, "postgres", "postgres");
    JdbcEndpoint tgt = new JdbcEndpoint(target, "postgres", "postgres");
    List<TransferOutcome> outcomes;
    try (SourceSnapshot snapshot = SourceSnapshot.export(src, "acme")) {
      TestPostgres.execute(source, "INSERT INTO t SELECT generate_series(501, 600)");
      String id = snapshot.id();
      outcomes =
          CopyTransfer.runAll(
              List.of(
                  unitOf(
                      src,
                      id,
                      tgt,
                      0,
                      "SELECT 'acme', id, pg_backend_pid() FROM t WHERE id <= 100"),
                  unitOf(
                      src,
                      id,
                      tgt,
                      1,
                      "SELECT 'acme', id, pg_backend_pid() FROM t WHERE id > 100 AND id <= 200"),
                  // Breaks at the source midway (division by zero at id 250).
                  unitOf(
                      src,
                      id,
                      tgt,
                      2,
                      "SELECT 'acme', id, CASE WHEN id < 250 THEN pg_backend_pid() ELSE 1 / (id -"
                          + " 250) END FROM t WHERE id > 200 AND id <= 300"),
                  // Breaks at the target (a column too many).
                  unitOf(
                      src,
                      id,
                      tgt,
                      3,
                      "SELECT 'acme', id, pg_backend_pid(), 'extra' FROM t WHERE id > 300 AND id <="
                          + " 400"),
                  unitOf(
                      src,
                      id,
                      tgt,
                      4,
                      "SELECT 'acme', id, pg_backend_pid() FROM t WHERE id > 400")));
    }
    assertThat(outcomes)
        .extracting(TransferOutcome::failed)
        .containsExactly(false, false, true, true, false);
    assertThat(outcomes.get(2).error()).contains("partition 3/5", "division by zero");
    assertThat(outcomes.get(4).loadedRows())
        .as("the snapshot's rows, after two failures")
        .isEqualTo(100);
    assertThat(RowSets.count(target, "SELECT count(*) FROM staged")).isEqualTo(300);
    assertThat(
            RowSets.count(
                target,
                "SELECT count(DISTINCT src_pid) + count(DISTINCT tgt_pid) FROM staged WHERE id <="
                    + " 200"))
        .as("the first two units read on one source session and wrote on one target session")
        .isEqualTo(2);
    assertThat(
            RowSets.count(
                target,
                "SELECT count(*) FROM staged a JOIN staged b ON a.id = 1 AND b.id = 401"
                    + " WHERE a.src_pid <> b.src_pid AND a.tgt_pid <> b.tgt_pid"))
        .as("after failures, the last unit ran on new sessions")
        .isOne();
    assertThat(RowSets.count(target, "SELECT count(*) FROM tenantfold.load_ledger"))
        .as("a ledger row for each unit committed, none for the failed")
        .isEqualTo(3);
  }
}
