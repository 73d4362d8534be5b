package dev.tenantfold.extract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.PartitionPlanner.KeyBounds;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The planned partitions executed, not compared as strings: each strategy's WHERE clauses run
 * through the real source query against a real PostgreSQL table, and together they must return
 * every row exactly once, also rows written after the plan (estimates and bounds are stale by
 * then).
 */
class HashPartitionReadTest {
  private static final int MAX_PARTITIONS = 8;
  private static String url;

  @BeforeAll
  static void createTables() {
    url = TestPostgres.createDatabase("partition_reads");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE ranged (id bigint PRIMARY KEY, v text);
        INSERT INTO ranged SELECT g, 'r' || g FROM generate_series(-2000, 18000) g WHERE g % 7 <> 3;
        CREATE TABLE paged (code text, n int NOT NULL, pad text);
        INSERT INTO paged SELECT 'p' || g, g, repeat('x', 60) FROM generate_series(1, 20000) g;
        CREATE TABLE hashed (region text, code text, n int, PRIMARY KEY (region, code));
        INSERT INTO hashed SELECT 'region ' || (g % 13), 'c' || g || CASE WHEN g % 5 = 0 THEN E'\\t,"quoted"' ELSE '' END, g
          FROM generate_series(1, 20000) g;
        CREATE TABLE parted (code text PRIMARY KEY, n int) PARTITION BY HASH (code);
        CREATE TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 3, REMAINDER 0);
        CREATE TABLE parted_1 PARTITION OF parted FOR VALUES WITH (MODULUS 3, REMAINDER 1);
        CREATE TABLE parted_2 PARTITION OF parted FOR VALUES WITH (MODULUS 3, REMAINDER 2);
        INSERT INTO parted SELECT 'k' || g, g FROM generate_series(1, 12000) g;
        ANALYZE;
        """);
  }

  @Test
  void integerKeyRangesReadEveryRowOnceIncludingRowsBeyondThePlannedBounds() throws Exception {
    TableSpec table = spec("ranged");
    List<ReadPartition> parts =
        PartitionPlanner.plan(
            table, Optional.of(new KeyBounds(-2000, 18000)), serverVersion(), 2500, MAX_PARTITIONS);
    assertThat(parts)
        .as("range partitions of ranged")
        .hasSizeGreaterThan(4)
        .allSatisfy(p -> assertThat(p.predicate()).contains("\"id\""));
    TestPostgres.execute(
        url,
        "INSERT INTO ranged VALUES (-5000000, 'below'), (9000000000, 'above'); DELETE FROM ranged"
            + " WHERE id = 0");

    assertEveryRowReadOnce(table, parts);
  }

  @Test
  void pageRangesReadEveryRowOnceAlsoOnPagesTheEstimateDidNotKnow() throws Exception {
    TableSpec table = spec("paged");
    List<ReadPartition> parts =
        PartitionPlanner.plan(table, Optional.empty(), serverVersion(), 3000, MAX_PARTITIONS);
    assertThat(parts)
        .as("page-range partitions of paged")
        .hasSizeGreaterThan(2)
        .allSatisfy(p -> assertThat(p.predicate()).contains("ctid"));
    // Updates move rows to new pages past the planned ones; only the open-ended last range can see
    // them.
    TestPostgres.execute(
        url,
        "UPDATE paged SET pad = pad || 'y' WHERE n % 3 = 0; INSERT INTO paged SELECT 'late' || g,"
            + " 100000 + g, 'z' FROM generate_series(1, 3000) g");

    assertEveryRowReadOnce(table, parts);
  }

  @Test
  void hashBucketsOfACompositeTextKeyReadEveryRowOnceOnServersWithoutTidRangeScans()
      throws Exception {
    TableSpec table = spec("hashed");
    List<ReadPartition> parts =
        PartitionPlanner.plan(table, Optional.empty(), 130000, 3000, MAX_PARTITIONS);
    assertThat(parts)
        .as("hash partitions of hashed")
        .hasSize(7)
        .allSatisfy(p -> assertThat(p.predicate()).contains("hashtext"));

    List<Integer> perPartition = assertEveryRowReadOnce(table, parts);
    assertThat(perPartition)
        .as("rows read by each hash bucket")
        .allSatisfy(n -> assertThat(n).isGreaterThan(20000 / 7 / 2));
  }

  @Test
  void hashBucketsOfAPartitionedSourceTableReadEveryRowOnce() throws Exception {
    TableSpec table = spec("parted");
    assertThat(table.partitioned()).as("parted is read as a partitioned table").isTrue();
    List<ReadPartition> parts =
        PartitionPlanner.plan(table, Optional.empty(), serverVersion(), 2500, MAX_PARTITIONS);
    assertThat(parts)
        .as("hash partitions of parted")
        .hasSize(5)
        .allSatisfy(p -> assertThat(p.predicate()).contains("hashtext"));

    List<Integer> perPartition = assertEveryRowReadOnce(table, parts);
    assertThat(perPartition)
        .as("rows read by each hash bucket")
        .allSatisfy(n -> assertThat(n).isPositive());
  }

  /**
   * Runs each partition's real source query; the rows of all of them must be the table's rows, each
   * once. Returns rows per partition.
   */
  private static List<Integer> assertEveryRowReadOnce(TableSpec table, List<ReadPartition> parts) {
    TargetTable target = new TargetTable(table.name(), table.columns(), table.primaryKey());
    List<String> union = new ArrayList<>();
    List<Integer> perPartition = new ArrayList<>();
    for (ReadPartition p : parts) {
      List<String> rows =
          RowSets.rows(
              url,
              "SELECT q::text FROM ("
                  + new ConformedSource(target, table, RulesConfig.none().forTable(target.name()))
                      .select("acme", p.predicate())
                  + ") q");
      perPartition.add(rows.size());
      union.addAll(rows);
    }
    union.sort(null);
    List<String> all =
        RowSets.rows(
            url,
            "SELECT q::text FROM ("
                + new ConformedSource(target, table, RulesConfig.none().forTable(target.name()))
                    .select("acme", "")
                + ") q");
    assertThat(all).as("rows of %s", table.name()).hasSizeGreaterThan(10000);
    assertThat(union)
        .as(
            "rows of %s read by the partitions %s (per partition: %s)",
            table.name(), parts, perPartition)
        .hasSameSizeAs(all)
        .isEqualTo(all);
    return perPartition;
  }

  private static TableSpec spec(String name) throws Exception {
    try (Connection conn = TestPostgres.connect(url)) {
      return CatalogReader.read(
              conn, "acme", List.of("public"), new TablesConfig(List.of(name), List.of()))
          .table(name)
          .orElseThrow();
    }
  }

  private static int serverVersion() throws Exception {
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }
}
