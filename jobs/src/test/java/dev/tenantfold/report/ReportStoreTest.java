package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The report tables are what an operator reads after a run and what {@code --resume} and the
 * shrink guard trust: what is written must read back exactly, re-recording must not duplicate, and
 * the questions asked of past runs (which tenants published, what each table holds) must follow
 * resumed runs and the latest publish.
 */
class ReportStoreTest {
  private static final ReportStore STORE = new ReportStore("tf_report");

  private static String reportDatabase(String name) throws Exception {
    String url = TestPostgres.createDatabase(name);
    try (Connection conn = TestPostgres.connect(url)) {
      STORE.ensureTables(conn);
      // A second set-up (every run does one) upgrades in place and loses nothing.
      STORE.ensureTables(conn);
    }
    return url;
  }

  private static TableResult ok(String tenant, String table, long rows, boolean published) {
    return new TableResult(tenant, table, rows, rows, 0, 0, rows, 1, TableStatus.OK, published, "", null);
  }

  /** A finished run started at {@code startedAt} whose tables are {@code tables}. */
  private static void run(Connection conn, String runId, Instant startedAt, String command, List<TableResult> tables) throws Exception {
    STORE.startRun(conn, runId, startedAt, command);
    STORE.recordTables(conn, runId, tables);
    STORE.finishRun(conn, runId, startedAt.plusSeconds(60), "finished");
  }

  @Test
  void runsAndTableResultsReadBackAsRecordedAndRecordingAgainReplaces() throws Exception {
    String url = reportDatabase("report_round_trip");
    Instant started = Instant.parse("2026-11-29T10:00:00Z");
    ChecksumCheck mismatch = new ChecksumCheck("src-digest", "tgt-digest", 1024, 2, 2, Map.of(RowDifference.Kind.CHANGED, 1L),
        List.of(new RowDifference("42", RowDifference.Kind.CHANGED, 1, 1, List.of("total", "note"))));
    try (Connection conn = TestPostgres.connect(url)) {
      STORE.startRun(conn, "r1", started, "run");
      assertThat(RowSets.rows(url, "SELECT run_id || ' ' || status || ' ' || command || ' ' || (finished_at IS NULL) FROM tf_report.runs"))
          .as("a started run is recorded as running").containsExactly("r1 running run true");

      STORE.recordTables(conn, "r1", List.of(
          ok("acme", "orders", 1000, true).withPreviousRows(OptionalLong.of(900)),
          new TableResult("globex", "orders", 500, 500, 0, 0, 500, 1, TableStatus.MISMATCH, false, "1 row changed", mismatch),
          TableResult.failed("initech", "*", "Cannot connect to the source of tenant initech")));
      STORE.finishRun(conn, "r1", started.plusSeconds(90), "finished");
    }

    assertThat(RowSets.rows(url, "SELECT run_id || ' ' || status || ' ' || (finished_at - started_at) FROM tf_report.runs"))
        .containsExactly("r1 finished 00:01:30");
    assertThat(RowSets.rows(url, "SELECT concat_ws(' ', tenant_id, table_name, source_rows, loaded_rows, status, published::text, previous_rows,"
        + " source_checksum, target_checksum, buckets_compared, mismatched_buckets, message) FROM tf_report.table_results ORDER BY tenant_id"))
        .as("every column as recorded (NULLs skipped)").containsExactly(
            "acme orders 1000 1000 OK true 900 ",
            "globex orders 500 500 MISMATCH false src-digest tgt-digest 1024 2 1 row changed",
            "initech * 0 0 FAILED false Cannot connect to the source of tenant initech");
    assertThat(RowSets.rows(url, "SELECT concat_ws(' ', tenant_id, key, kind, array_to_string(columns, ','), source_rows, target_rows)"
        + " FROM tf_report.mismatches")).as("the listed key of the mismatch").containsExactly("globex 42 CHANGED total,note 1 1");

    try (Connection conn = TestPostgres.connect(url)) {
      // The same table recorded again (a publish that rewrites its verdict) replaces the row and its keys.
      STORE.recordTables(conn, "r1", List.of(new TableResult("globex", "orders", 500, 500, 0, 0, 500, 1, TableStatus.OK, true, "", null)));
      assertThat(STORE.publishedTables(conn, "r1", "globex")).isEqualTo(1);
      assertThat(STORE.publishedTables(conn, "r1", "initech")).isZero();
    }
    assertThat(RowSets.count(url, "SELECT count(*) FROM tf_report.table_results")).as("no duplicate row").isEqualTo(3);
    assertThat(RowSets.count(url, "SELECT count(*) FROM tf_report.mismatches")).as("the old keys are gone").isZero();
  }

  @Test
  void pastRunFollowsTheChainOfResumedRuns() throws Exception {
    String url = reportDatabase("report_past_runs");
    Instant t0 = Instant.parse("2026-11-29T10:00:00Z");
    try (Connection conn = TestPostgres.connect(url)) {
      run(conn, "r1", t0, "run", List.of(ok("acme", "orders", 10, true), TableResult.failed("globex", "orders", "boom"),
          TableResult.failed("initech", "*", "unreachable")));
      run(conn, "r2", t0.plusSeconds(600), "run", List.of(ok("globex", "orders", 20, true), TableResult.failed("initech", "*", "unreachable")));
      STORE.recordResumedFrom(conn, "r2", "r1");
      run(conn, "r3", t0.plusSeconds(1200), "run", List.of(TableResult.failed("initech", "*", "still unreachable")));
      STORE.recordResumedFrom(conn, "r3", "r2");
      // A later audit is not a run to resume.
      run(conn, "v1", t0.plusSeconds(1800), "validate", List.of(ok("acme", "orders", 10, false)));

      Optional<ReportStore.PastRun> latest = STORE.pastRun(conn, Optional.empty());
      assertThat(latest).as("the latest run command, not the later validate").map(ReportStore.PastRun::runId).contains("r3");
      assertThat(latest.get().publishedTenants()).as("what r3 and the runs it resumed published").containsExactly("acme", "globex");
      assertThat(STORE.pastRun(conn, Optional.of("r2")).orElseThrow().publishedTenants()).as("r2's chain stops at r1")
          .containsExactly("acme", "globex");
      assertThat(STORE.pastRun(conn, Optional.of("r1")).orElseThrow().publishedTenants()).containsExactly("acme");
      assertThat(STORE.pastRun(conn, Optional.of("v1")).orElseThrow().command()).isEqualTo("validate");
      assertThat(STORE.pastRun(conn, Optional.of("no-such-run"))).as("an unknown run id").isEmpty();
    }
  }

  @Test
  void publishedByTableIsWhatTheLatestPublishingRunLoaded() throws Exception {
    String url = reportDatabase("report_published");
    Instant t0 = Instant.parse("2026-11-29T10:00:00Z");
    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(STORE.publishedByTable(conn, "acme")).as("nothing published yet").isEmpty();
      run(conn, "r1", t0, "run", List.of(ok("acme", "orders", 100, true), ok("acme", "items", 300, true), ok("globex", "orders", 7, true)));
      run(conn, "r2", t0.plusSeconds(600), "run", List.of(ok("acme", "orders", 120, true), ok("acme", "items", 0, false)));
      // The latest run failed before any table: it published nothing and changes nothing.
      run(conn, "r3", t0.plusSeconds(1200), "run", List.of(TableResult.failed("acme", "*", "unreachable"),
          TableResult.failed("acme", "orders", "Cannot publish")));

      Map<String, ReportStore.PublishedTable> published = STORE.publishedByTable(conn, "acme");
      assertThat(published).as("per table, the latest run that published it").containsOnly(
          Map.entry("items", new ReportStore.PublishedTable("items", "r1", 300)),
          Map.entry("orders", new ReportStore.PublishedTable("orders", "r2", 120)));
      assertThat(STORE.publishedByTable(conn, "globex")).containsOnlyKeys("orders");
    }
  }
}
