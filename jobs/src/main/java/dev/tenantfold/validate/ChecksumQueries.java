package dev.tenantfold.validate;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.ChecksumSql;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the two sides' checksum queries for one tenant table over the same column set: every
 * target column except the tenant column, keyed by the target's primary key. On the source, a
 * column this tenant lacks is read as NULL, exactly what was loaded for it.
 */
public final class ChecksumQueries {
  private ChecksumQueries() {}

  public static ChecksumSpec spec(TargetTable table, int buckets) {
    return new ChecksumSpec(table.columns(), table.primaryKey(), buckets);
  }

  public static ChecksumSql source(TargetTable table, TableSpec source, int buckets) {
    ChecksumSpec spec = spec(table, buckets);
    String relation = source.readRelation();
    if (table.columns().stream().allMatch(c -> source.column(c.name()).isPresent())) {
      return new ChecksumSql(spec, relation, null);
    }
    List<String> items = new ArrayList<>();
    for (ColumnSpec c : table.columns()) {
      items.add(source.column(c.name()).isPresent() ? ident(c.name()) : "NULL::" + nullType(c) + " AS " + ident(c.name()));
    }
    return new ChecksumSql(spec, "(SELECT " + String.join(", ", items) + " FROM " + relation + ") src", null);
  }

  /** The target side: {@code relation} (staging or published table), filtered to the tenant when given. */
  public static ChecksumSql target(TargetTable table, String relation, String predicate, int buckets) {
    return new ChecksumSql(spec(table, buckets), relation, predicate);
  }

  private static String nullType(ColumnSpec c) {
    // Enum types exist only in the target; a NULL canonicalises the same as any type.
    return c.enumType() != null ? (c.array() ? "text[]" : "text") : c.type();
  }
}
