package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.demo.DemoData;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Cost of the SQL checksum against {@code SELECT count(*)} on DemoData's orders table. Opt-in:
 * {@code mvn verify -Dtest='ChecksumBenchmarkTest' -Dtenantfold.bench.checksum=true} (rows with
 * {@code -Dtenantfold.bench.rows=1000000}).
 */
@EnabledIfSystemProperty(named = "tenantfold.bench.checksum", matches = "true")
class ChecksumBenchmarkTest {

  @Test
  void checksumCostAgainstCount() throws Exception {
    int rows = Integer.getInteger("tenantfold.bench.rows", 1_000_000);
    String url = TestPostgres.createDatabase("checksum_bench");
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement()) {
      DemoData.createTenant(conn, "bench", rows / 3);
      st.execute("VACUUM ANALYZE orders");
    }
    List<ColumnSpec> columns = ChecksumFixtures.columns(url, "orders");
    List<ColumnSpec> noArrays = columns.stream().filter(c -> !c.array()).toList();
    ChecksumSql full = new ChecksumSql(ChecksumSpec.of(columns, List.of("id")), "orders", null);
    ChecksumSql withoutArrays =
        new ChecksumSql(ChecksumSpec.of(noArrays, List.of("id")), "orders", null);
    try (Connection conn = TestPostgres.connect(url)) {
      long count = best(conn, full.rowCount());
      long checksum = best(conn, full.bucketDigests());
      long checksumNoArrays = best(conn, withoutArrays.bucketDigests());
      long drill = best(conn, full.drillDown(List.of(7)));
      System.out.printf(
          "checksum bench: %d rows of orders (%d columns); count(*) %d ms; per-bucket checksum %d"
              + " ms (%.1f us/row); without the enum[] column %d ms; drill-down of 1 bucket %d"
              + " ms%n",
          PostgresChecksum.checksum(conn, full).totalRows(),
          columns.size(),
          count,
          checksum,
          checksum * 1000.0 / rows,
          checksumNoArrays,
          drill);
      try (Statement st = conn.createStatement()) {
        st.execute("SET max_parallel_workers_per_gather = 0");
      }
      long countCpu = bestBackendCpu(conn, full.rowCount());
      long checksumCpu = bestBackendCpu(conn, full.bucketDigests());
      System.out.printf(
          "checksum bench, one backend's CPU time (/proc/<pid>/stat, no parallel workers):"
              + " count(*) %d ms; per-bucket checksum %d ms (%.2f us/row)%n",
          countCpu, checksumCpu, checksumCpu * 1000.0 / rows);
      assertThat(PostgresChecksum.checksum(conn, full).totalRows())
          .as("rows checksummed")
          .isGreaterThanOrEqualTo(rows);
    }
  }

  /**
   * The least CPU time, in ms, the backend spent on three runs after one warm-up run: the figure to
   * compare on a loaded machine, where wall time depends on the other work. The server runs on this
   * machine (embedded), so its backend's {@code /proc/<pid>/stat} is readable.
   */
  private static long bestBackendCpu(Connection conn, String sql) throws Exception {
    int pid;
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      pid = rs.getInt(1);
    }
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long before = cpuTicks(pid);
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          // drain
        }
      }
      times.add((cpuTicks(pid) - before) * 10);
    }
    return times.subList(1, times.size()).stream().min(Long::compare).orElseThrow();
  }

  /** utime + stime of a process, in clock ticks (1/100 s on Linux). */
  private static long cpuTicks(int pid) throws Exception {
    String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** Best of three timed runs after one warm-up run. */
  private static long best(Connection conn, String sql) throws Exception {
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long start = System.nanoTime();
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          // drain
        }
      }
      times.add((System.nanoTime() - start) / 1_000_000);
    }
    return times.subList(1, times.size()).stream().min(Long::compare).orElseThrow();
  }
}
