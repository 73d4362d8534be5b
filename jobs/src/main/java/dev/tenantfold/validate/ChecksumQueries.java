package dev.tenantfold.validate;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.ChecksumSql;

/**
 * Builds the two sides' checksum queries for one tenant table over the same column set: every
 * target column except the tenant column, keyed by the target's primary key. The source side reads
 * the rows exactly as they were loaded ({@link ConformedSource}: missing columns NULL or defaulted,
 * types widened or cast, duplicates removed, rejected rows left out).
 */
public final class ChecksumQueries {
  private ChecksumQueries() {}

  public static ChecksumSpec spec(TargetTable table, int buckets) {
    return new ChecksumSpec(table.columns(), table.primaryKey(), buckets);
  }

  public static ChecksumSql source(TargetTable table, TableSpec source, int buckets) {
    return source(
        new ConformedSource(table, source, RulesConfig.none().forTable(table.name())), buckets);
  }

  /**
   * The source side: the tenant's rows as {@link ConformedSource} loads them (deduplicated, cast,
   * defaulted).
   */
  public static ChecksumSql source(ConformedSource conformed, int buckets) {
    return new ChecksumSql(spec(conformed.table(), buckets), conformed.checksumRelation(), null);
  }

  /**
   * The target side: {@code relation} (staging or published table), filtered to the tenant when
   * given.
   */
  public static ChecksumSql target(
      TargetTable table, String relation, String predicate, int buckets) {
    return new ChecksumSql(spec(table, buckets), relation, predicate);
  }
}
