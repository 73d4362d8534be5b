package dev.tenantfold.validate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.ValidateConfig;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.testing.ParquetExports;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.checksum.ChecksumComparison;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.RowDifference;
import dev.tenantfold.validate.checksum.RowDifference.Kind;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code validate.max-listed-keys} and {@code validate.max-drilldown-scans} against a table with
 * hundreds of differing keys: the listing and the drill-down stop at their caps, while the counts
 * of what was compared stay exact.
 */
class TableValidatorLimitsTest {
  private static final int BUCKETS = 64;
  private static final String TENANT = "\"tenant_id\" = 'acme'";
  private static String url;
  private static ChecksumSql source;
  private static ChecksumSql target;
  private static long changed;
  private static long missing;
  private static long extra;
  private static Set<String> differingKeys;

  @BeforeAll
  static void createTables() throws Exception {
    url = TestPostgres.createDatabase("validator_limits");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE src (id bigint PRIMARY KEY, name text, qty int);
        INSERT INTO src SELECT g, 'name ' || g, g FROM generate_series(1, 4000) g;
        CREATE TABLE tgt (tenant_id text NOT NULL, id bigint, name text, qty int);
        INSERT INTO tgt SELECT 'acme', * FROM src;
        INSERT INTO tgt SELECT 'other', id, 'x', 0 FROM src WHERE id <= 500;
        UPDATE tgt SET qty = -qty WHERE tenant_id = 'acme' AND id % 13 = 0;
        DELETE FROM tgt WHERE tenant_id = 'acme' AND id % 97 = 1;
        INSERT INTO tgt SELECT 'acme', g, 'extra', g FROM generate_series(5001, 5040) g;
        """);
    changed = RowSets.count(url, "SELECT count(*) FROM src WHERE id % 13 = 0 AND id % 97 <> 1");
    missing = RowSets.count(url, "SELECT count(*) FROM src WHERE id % 97 = 1");
    extra = 40;
    differingKeys =
        RowSets.rows(
                url,
                "SELECT id::text FROM src WHERE id % 13 = 0 OR id % 97 = 1 UNION ALL SELECT g::text"
                    + " FROM generate_series(5001, 5040) g")
            .stream()
            .map(id -> "{\"id\": " + id + "}")
            .collect(Collectors.toSet());
    List<ColumnSpec> columns = ParquetExports.columns(url, "src");
    ChecksumSpec spec = new ChecksumSpec(columns, List.of("id"), BUCKETS);
    source = new ChecksumSql(spec, "src", null);
    target = new ChecksumSql(spec, "tgt", TENANT);
  }

  @Test
  void listingStopsAtMaxListedKeysWhileCountsStayExact() throws Exception {
    ChecksumCheck check = validate(new ValidateConfig(BUCKETS, 7, 1_000_000, 8));

    assertThat(check.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(check.listed())
        .as("differing keys listed with max-listed-keys = 7")
        .hasSize(7)
        .allSatisfy(
            d ->
                assertThat(differingKeys)
                    .as("listed key %s is a differing key", d.key())
                    .contains(d.key()));
    assertThat(check.listed())
        .extracting(RowDifference::key)
        .as("listed keys")
        .doesNotHaveDuplicates();
    assertThat(check.differenceCounts())
        .as("differences counted by kind")
        .containsEntry(Kind.CHANGED, changed)
        .containsEntry(Kind.MISSING_IN_TARGET, missing)
        .containsEntry(Kind.EXTRA_IN_TARGET, extra);
    assertThat(check.drilledBuckets()).as("buckets drilled").isEqualTo(check.mismatchedBuckets());
    assertThat(check.message())
        .as("message")
        .contains(changed + " CHANGED", missing + " MISSING_IN_TARGET", extra + " EXTRA_IN_TARGET")
        .doesNotContain("max-drilldown-scans");
  }

  @Test
  void theListingCapHoldsAcrossManyDrillDownScans() throws Exception {
    // About 62 rows per bucket: a scan of 200 rows holds 3 buckets, so the listing fills over
    // several scans.
    ChecksumCheck check = validate(new ValidateConfig(BUCKETS, 25, 200, 1000));

    assertThat(check.drilledBuckets())
        .as("every mismatched bucket drilled")
        .isEqualTo(check.mismatchedBuckets());
    assertThat(check.listed()).as("keys listed with max-listed-keys = 25").hasSize(25);
    assertThat(check.differenceCounts().values().stream().mapToLong(Long::longValue).sum())
        .as("differences counted")
        .isEqualTo(changed + missing + extra);
  }

  @Test
  void drillDownStopsAtMaxDrilldownScansAndSaysSo() throws Exception {
    ChecksumCheck all = validate(new ValidateConfig(BUCKETS, 1000, 200, 1000));
    ChecksumCheck capped = validate(new ValidateConfig(BUCKETS, 1000, 200, 2));

    assertThat(capped.mismatchedBuckets())
        .as("mismatched buckets are counted in full")
        .isEqualTo(expectedMismatchedBuckets())
        .isEqualTo(all.mismatchedBuckets())
        .isGreaterThan(20);
    assertThat(capped.drilledBuckets())
        .as("buckets drilled in 2 scans of <= 200 rows")
        .isPositive()
        .isLessThanOrEqualTo(6);
    long counted = capped.differenceCounts().values().stream().mapToLong(Long::longValue).sum();
    assertThat(counted)
        .as("differences found in the drilled buckets")
        .isPositive()
        .isLessThan(changed + missing + extra);
    assertThat(capped.listed())
        .as("listed: every difference found, under the listing cap")
        .hasSize((int) counted);
    assertThat(capped.message())
        .as("message")
        .contains(
            "in " + capped.mismatchedBuckets() + " of " + BUCKETS + " buckets",
            "drilled into " + capped.drilledBuckets() + " of them",
            "tenantfold.validate.max-drilldown-scans");
    assertThat(capped.status())
        .as("a partly drilled table is still a mismatch")
        .isEqualTo(TableStatus.MISMATCH);
  }

  @Test
  void aBucketLargerThanOneScanIsCountedButNotDrilled() throws Exception {
    ChecksumCheck check = validate(new ValidateConfig(BUCKETS, 100, 10, 8));

    assertThat(check.mismatchedBuckets())
        .as("mismatched buckets")
        .isEqualTo(expectedMismatchedBuckets());
    assertThat(check.drilledBuckets())
        .as("buckets of ~62 rows drilled with scans of 10 rows")
        .isZero();
    assertThat(check.listed()).as("listed").isEmpty();
    assertThat(check.status()).as("verdict").isEqualTo(TableStatus.MISMATCH);
  }

  @Test
  void aBucketTooLargeToDrillNamesTheSettingThatWouldDrillIt() throws Exception {
    ChecksumCheck check = validate(new ValidateConfig(BUCKETS, 100, 10, 8));

    assertThat(check.message())
        .as("advice for buckets of ~62 rows with scans of 10 rows")
        .contains("tenantfold.validate.drilldown-rows-per-scan");
  }

  private static ChecksumCheck validate(ValidateConfig config) throws Exception {
    try (Connection src = TestPostgres.connect(url);
        Connection tgt = TestPostgres.connect(url)) {
      TableChecksum sourceSums = PostgresChecksum.checksum(src, source);
      TableChecksum targetSums = PostgresChecksum.checksum(tgt, target);
      return new TableValidator(config).compare(sourceSums, targetSums, src, source, tgt, target);
    }
  }

  private static int expectedMismatchedBuckets() throws Exception {
    try (Connection conn = TestPostgres.connect(url)) {
      return ChecksumComparison.compare(
              PostgresChecksum.checksum(conn, source), PostgresChecksum.checksum(conn, target))
          .mismatchedBuckets()
          .size();
    }
  }
}
