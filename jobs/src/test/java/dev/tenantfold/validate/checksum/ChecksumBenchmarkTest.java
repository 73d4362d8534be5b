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
      assertThat(PostgresChecksum.checksum(conn, full).totalRows())
          .as("rows checksummed")
          .isGreaterThanOrEqualTo(rows);
    }
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
