package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableVerdict;
import dev.tenantfold.validate.checksum.RowDifference;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The report tables are what an operator reads after a run and what {@code --resume} and the shrink
 * guard trust: what is written must read back exactly, re-recording must not duplicate, and the
 * questions asked of past runs (which tenants published, what each table holds) must follow resumed
 * runs and the latest publish.
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
    TableResult r =
        TableResult.checked(
            tenant,
            table,
            new TableCounts.Loaded(rows, rows, 0, 0, rows, 1),
            TableVerdict.of(TableStatus.OK, ""),
            null);
    return published ? r.asPublished() : r;
  }

  /** A finished run started at {@code startedAt} whose tables are {@code tables}. */
  private static void run(
      Connection conn, String runId, Instant startedAt, String command, List<TableResult> tables)
      throws Exception {
    STORE.startRun(conn, runId, startedAt, command);
    STORE.recordTables(conn, runId, tables);
    STORE.finishRun(conn, runId, startedAt.plusSeconds(60), "finished");
  }

  @Test
  void runsAndTableResultsReadBackAsRecordedAndRecordingAgainReplaces() throws Exception {
    String url = reportDatabase("report_round_trip");
    Instant started = Instant.parse("2026-11-29T10:00:00Z");
    ChecksumCheck mismatch =
        new ChecksumCheck(
            "src-digest",
            "tgt-digest",
            1024,
            2,
            2,
            Map.of(RowDifference.Kind.CHANGED, 1L),
            List.of(
                new RowDifference(
                    "{\"id\": 42}", RowDifference.Kind.CHANGED, 1, 1, List.of("total", "note"))));
    try (Connection conn = TestPostgres.connect(url)) {
      STORE.startRun(conn, "r1", started, "run");
      assertThat(
              RowSets.rows(
                  url,
                  "SELECT run_id || ' ' || status || ' ' || command || ' ' || (finished_at IS NULL)"
                      + " FROM tf_report.runs"))
          .as("a started run is recorded as running")
          .containsExactly("r1 running run true");

      STORE.recordTables(
          conn,
          "r1",
          List.of(
              ok("acme", "orders", 1000, true).withPreviousRows(OptionalLong.of(900)),
              TableResult.checked(
                  "globex",
                  "orders",
                  new TableCounts.Loaded(500, 500, 0, 0, 500, 1),
                  TableVerdict.of(TableStatus.MISMATCH, "1 row changed"),
                  mismatch),
              TableResult.failed(
                  "initech", "*", "Cannot connect to the source of tenant initech")));
      STORE.finishRun(conn, "r1", started.plusSeconds(90), "finished");
    }

    assertThat(
            RowSets.rows(
                url,
                "SELECT run_id || ' ' || status || ' ' || (finished_at - started_at) FROM"
                    + " tf_report.runs"))
        .containsExactly("r1 finished 00:01:30");
    assertThat(
            RowSets.rows(
                url,
                "SELECT concat_ws(' ', tenant_id, table_name, source_rows, loaded_rows, status,"
                    + " published::text, previous_rows, source_checksum, target_checksum,"
                    + " buckets_compared, mismatched_buckets, message) FROM tf_report.table_results"
                    + " ORDER BY tenant_id"))
        .as("every column as recorded (NULLs skipped)")
        .containsExactly(
            "acme orders 1000 1000 OK true 900 ",
            "globex orders 500 500 MISMATCH false src-digest tgt-digest 1024 2 1 row changed",
            "initech * 0 0 FAILED false Cannot connect to the source of tenant initech");
    assertThat(
            RowSets.rows(
                url,
                "SELECT concat_ws(' ', tenant_id, key, kind, array_to_string(columns, ','),"
                    + " source_rows, target_rows) FROM tf_report.mismatches"))
        .as("the listed key of the mismatch")
        .containsExactly("globex {\"id\": 42} CHANGED total,note 1 1");

    try (Connection conn = TestPostgres.connect(url)) {
      // The same table recorded again (a publish that rewrites its verdict) replaces the row and
      // its keys.
      STORE.recordTables(
          conn,
          "r1",
          List.of(
              TableResult.checked(
                      "globex",
                      "orders",
                      new TableCounts.Loaded(500, 500, 0, 0, 500, 1),
                      TableVerdict.of(TableStatus.OK, ""),
                      null)
                  .asPublished()));
      assertThat(STORE.publishedTables(conn, "r1", "globex")).isEqualTo(1);
      assertThat(STORE.publishedTables(conn, "r1", "initech")).isZero();
    }
    assertThat(RowSets.count(url, "SELECT count(*) FROM tf_report.table_results"))
        .as("no duplicate row")
        .isEqualTo(3);
    assertThat(RowSets.count(url, "SELECT count(*) FROM tf_report.mismatches"))
        .as("the old keys are gone")
        .isZero();
  }

  @Test
  void pastRunFollowsTheChainOfResumedRuns() throws Exception {
    String url = reportDatabase("report_past_runs");
    Instant t0 = Instant.parse("2026-11-29T10:00:00Z");
    try (Connection conn = TestPostgres.connect(url)) {
      run(
          conn,
          "r1",
          t0,
          "run",
          List.of(
              ok("acme", "orders", 10, true),
              TableResult.failed("globex", "orders", "boom"),
              TableResult.failed("initech", "*", "unreachable")));
      run(
          conn,
          "r2",
          t0.plusSeconds(600),
          "run",
          List.of(
              ok("globex", "orders", 20, true), TableResult.failed("initech", "*", "unreachable")));
      STORE.recordResumedFrom(conn, "r2", "r1");
      run(
          conn,
          "r3",
          t0.plusSeconds(1200),
          "run",
          List.of(TableResult.failed("initech", "*", "still unreachable")));
      STORE.recordResumedFrom(conn, "r3", "r2");
      // A later audit is not a run to resume.
      run(conn, "v1", t0.plusSeconds(1800), "validate", List.of(ok("acme", "orders", 10, false)));

      Optional<ReportStore.PastRun> latest = STORE.pastRun(conn, Optional.empty());
      assertThat(latest)
          .as("the latest run command, not the later validate")
          .map(ReportStore.PastRun::runId)
          .contains("r3");
      assertThat(latest.get().publishedTenants())
          .as("what r3 and the runs it resumed published")
          .containsExactly("acme", "globex");
      assertThat(STORE.pastRun(conn, Optional.of("r2")).orElseThrow().publishedTenants())
          .as("r2's chain stops at r1")
          .containsExactly("acme", "globex");
      assertThat(STORE.pastRun(conn, Optional.of("r1")).orElseThrow().publishedTenants())
          .containsExactly("acme");
      assertThat(STORE.pastRun(conn, Optional.of("v1")).orElseThrow().command())
          .isEqualTo("validate");
      assertThat(STORE.pastRun(conn, Optional.of("no-such-run"))).as("an unknown run id").isEmpty();
    }
  }

  @Test
  void aValidateReadsBackItsPublishedRowsAsPublishedNotLoaded() throws Exception {
    String url = reportDatabase("report_validate_counts");
    Instant t0 = Instant.parse("2026-11-29T10:00:00Z");
    try (Connection conn = TestPostgres.connect(url)) {
      run(conn, "r1", t0, "run", List.of(ok("acme", "orders", 10, true)));
      run(
          conn,
          "v1",
          t0.plusSeconds(600),
          "validate",
          List.of(
              TableResult.audited(
                  "acme",
                  "orders",
                  10,
                  9,
                  TableVerdict.of(TableStatus.MISMATCH, "rows differ"),
                  null)));

      assertThat(
              RowSets.rows(
                  url,
                  "SELECT run_id || ' ' || loaded_rows FROM tf_report.table_results ORDER BY"
                      + " run_id"))
          .as("the report's loaded_rows: staged by the run, published for validate")
          .containsExactly("r1 10", "v1 9");
      ReportReader reader = new ReportReader("tf_report");
      TableCounts audited =
          reader
              .load(conn, "v1")
              .orElseThrow()
              .run()
              .tenant("acme")
              .orElseThrow()
              .tables()
              .get(0)
              .counts();
      assertThat(audited)
          .as("validate's 9 rows are published rows, not loaded ones")
          .isEqualTo(new TableCounts.Audited(10, 9));
      assertThat(audited.loadedRows()).as("validate loads nothing").isZero();
      assertThat(
              reader
                  .load(conn, "r1")
                  .orElseThrow()
                  .run()
                  .tenant("acme")
                  .orElseThrow()
                  .tables()
                  .get(0)
                  .counts())
          .as("a run's are loaded rows")
          .isEqualTo(new TableCounts.Loaded(10, 10, 0, 0, 10, 1));
    }
  }

  @Test
  void publishedByTableIsWhatTheLatestPublishingRunLoaded() throws Exception {
    String url = reportDatabase("report_published");
    Instant t0 = Instant.parse("2026-11-29T10:00:00Z");
    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(STORE.publishedByTable(conn, "acme")).as("nothing published yet").isEmpty();
      run(
          conn,
          "r1",
          t0,
          "run",
          List.of(
              ok("acme", "orders", 100, true),
              ok("acme", "items", 300, true),
              ok("globex", "orders", 7, true)));
      run(
          conn,
          "r2",
          t0.plusSeconds(600),
          "run",
          List.of(ok("acme", "orders", 120, true), ok("acme", "items", 0, false)));
      // The latest run failed before any table: it published nothing and changes nothing.
      run(
          conn,
          "r3",
          t0.plusSeconds(1200),
          "run",
          List.of(
              TableResult.failed("acme", "*", "unreachable"),
              TableResult.failed("acme", "orders", "Cannot publish")));

      Map<String, ReportStore.PublishedTable> published = STORE.publishedByTable(conn, "acme");
      assertThat(published)
          .as("per table, the latest run that published it")
          .containsOnly(
              Map.entry("items", new ReportStore.PublishedTable("items", "r1", 300)),
              Map.entry("orders", new ReportStore.PublishedTable("orders", "r2", 120)));
      assertThat(STORE.publishedByTable(conn, "globex")).containsOnlyKeys("orders");
    }
  }

  @Test
  void aRunReadsBackFromTheTablesAsItWasRecorded() throws Exception {
    String url = reportDatabase("report_read_back");
    Instant started = Instant.parse("2026-11-29T10:00:00Z");
    ChecksumCheck mismatch =
        new ChecksumCheck(
            "s",
            "t",
            1024,
            1,
            1,
            Map.of(RowDifference.Kind.CHANGED, 1L),
            List.of(
                new RowDifference(
                    "{\"order_id\": 2002}", RowDifference.Kind.CHANGED, 1, 1, List.of("qty"))));
    TenantResult acme =
        new TenantResult(
            "acme",
            true,
            "",
            List.of(ok("acme", "orders", 10, true)),
            1200,
            Map.of("plan", 100L),
            Optional.of(new SourceInfo("jdbc", "db:5432/acme", Optional.of(started))));
    TenantResult globex =
        new TenantResult(
            "globex",
            false,
            "",
            List.of(
                TableResult.checked(
                    "globex",
                    "order_items",
                    new TableCounts.Loaded(6, 6, 0, 0, 6, 2),
                    TableVerdict.of(TableStatus.MISMATCH, "checksums differ"),
                    mismatch)),
            900,
            Map.of());
    TenantResult initech =
        TenantResult.failed(
            "initech", "Cannot connect to the source of tenant initech", List.of(), 5);
    RunResult run =
        new RunResult(
            "r1",
            "run",
            started,
            started.plusSeconds(30),
            List.of(acme, globex, initech),
            null,
            List.of("a note", "5 views not recreated (e.g. v1; v2; v3; ...)"),
            Map.of(
                "5 views not recreated (e.g. v1; v2; v3; ...)",
                List.of("v1", "v2", "v3", "v4", "v5")));
    try (Connection conn = TestPostgres.connect(url)) {
      STORE.startRun(conn, "r1", started, "run");
      for (TenantResult t : run.tenants()) {
        STORE.recordTenantFailure(conn, "r1", t);
        STORE.recordTables(conn, "r1", t.tables());
      }
      STORE.recordOutcome(conn, run);
      STORE.finishRun(conn, "r1", run.finishedAt(), run.statusLabel());

      ReportReader.StoredRun stored = new ReportReader("tf_report").load(conn, "r1").orElseThrow();
      assertThat(stored.status()).isEqualTo("failed");
      assertThat(stored.run().exitCode())
          .as("exit code derived as for the live run")
          .isEqualTo(run.exitCode());
      assertThat(stored.run().notes()).containsExactlyElementsOf(run.notes());
      assertThat(stored.run().noteItems(run.notes().get(1)))
          .as("the full list under a note, kept for tenantfold report")
          .containsExactly("v1", "v2", "v3", "v4", "v5");
      assertThat(stored.run().noteItems("a note")).isEmpty();
      String html = HtmlReport.render(stored.run(), stored.status(), Optional.empty());
      assertThat(html)
          .as("report.html: the line, the full list under it collapsed")
          .contains(
              "<li><details><summary>5 views not recreated (e.g. v1; v2; v3; ...)</summary><ul>"
                  + "<li>v1</li><li>v2</li><li>v3</li><li>v4</li><li>v5</li></ul></details></li>");
      assertThat(ReportWriter.json(stored.run())).contains("\"note_items\"", "\"v5\"");
      assertThat(stored.run().tenants())
          .as("tenants as recorded")
          .usingRecursiveFieldByFieldElementComparatorIgnoringFields("stageMillis")
          .containsExactlyElementsOf(run.tenants());
      assertThat(stored.run().tenant("acme").orElseThrow().stageMillis())
          .containsEntry("plan", 100L);
      assertThat(RowSets.rows(url, "SELECT key ->> 'order_id' FROM tf_report.mismatches"))
          .as("the key is jsonb an analyst can query")
          .containsExactly("2002");
      assertThat(new ReportReader("tf_report").latestRunId(conn)).contains("r1");
    }
  }

  @Test
  void aVersionOneSchemaMigratesForwardAndItsRowsStayReadable() throws Exception {
    String url = TestPostgres.createDatabase("report_v1");
    // The shape every release before versioning created: no schema_version, mismatches.key as
    // encoded text.
    try (Connection conn = TestPostgres.connect(url);
        java.sql.Statement st = conn.createStatement()) {
      st.execute("CREATE SCHEMA tf_report");
      for (String sql : new ReportSchema("tf_report").migrations().get(0).statements()) {
        st.execute(sql);
      }
      st.execute(
          "INSERT INTO tf_report.runs (run_id, started_at, finished_at, status, command) VALUES"
              + " ('old', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'validation_failed',"
              + " 'run')");
      st.execute(
          "INSERT INTO tf_report.table_results (run_id, tenant_id, table_name, source_rows,"
              + " extracted_rows, duplicates_removed, rejected_rows, loaded_rows, status,"
              + " published, message, source_checksum, target_checksum, buckets_compared,"
              + " mismatched_buckets) VALUES ('old', 'acme', 'order_items', 6, 6, 0, 0, 6,"
              + " 'MISMATCH', false, 'checksums differ', 's', 't', 1024, 1), ('old', 'initech',"
              + " '*', 0, 0, 0, 0, 0, 'FAILED', false, 'unreachable', NULL, NULL, NULL, NULL)");
      st.execute(
          "INSERT INTO tf_report.mismatches VALUES ('old', 'acme', 'order_items', '4:20021:2',"
              + " 'CHANGED', '{qty}', 1, 1)");
    }

    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(new ReportSchema("tf_report").current(conn))
          .as("a version-1 schema is not current")
          .isFalse();
      STORE.ensureReadable(conn);
      assertThat(new ReportSchema("tf_report").storedVersion(conn)).isEqualTo(ReportSchema.CURRENT);
      assertThat(new ReportSchema("tf_report").current(conn)).isTrue();
      ReportReader.StoredRun old = new ReportReader("tf_report").load(conn, "old").orElseThrow();
      assertThat(old.status()).isEqualTo("validation_failed");
      assertThat(old.run().exitCode()).as("the old run's verdict: a tenant failed").isEqualTo(1);
      assertThat(old.run().tenant("initech").orElseThrow().message()).isEqualTo("unreachable");
      assertThat(
              old.run()
                  .tenant("acme")
                  .orElseThrow()
                  .table("order_items")
                  .orElseThrow()
                  .checksum()
                  .listed())
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.key())
                    .as("an old key, kept as a JSON string")
                    .isEqualTo("\"4:20021:2\"");
                assertThat(d.changedColumns()).containsExactly("qty");
              });
    }
    assertThat(
            RowSets.rows(
                url,
                "SELECT version || ' ' || description FROM tf_report.schema_version ORDER BY"
                    + " version"))
        .as("versions applied")
        .hasSize(ReportSchema.CURRENT)
        .first()
        .asString()
        .startsWith("1 ");
    assertThat(RowSets.rows(url, "SELECT jsonb_typeof(key) FROM tf_report.mismatches"))
        .containsExactly("string");
  }

  @Test
  void aSchemaFromANewerTenantfoldIsRefused() throws Exception {
    String url = reportDatabase("report_newer");
    TestPostgres.execute(
        url,
        "INSERT INTO tf_report.schema_version (version, description) VALUES ("
            + (ReportSchema.CURRENT + 1)
            + ", 'future')");
    try (Connection conn = TestPostgres.connect(url)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> STORE.ensureTables(conn))
          .hasMessageContaining("tf_report")
          .hasMessageContaining("newer than this Tenantfold")
          .hasMessageContaining("tenantfold.target.report-schema");
    }
  }
}
