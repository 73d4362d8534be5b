package dev.tenantfold.validate;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.validate.checksum.ChecksumSql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two sides {@code validate} compares for one tenant's rows of a shared reference table, both
 * in SQL on the target: the tenant's conformed rows (copied from its source into {@code staging}
 * for the audit) and the published shared table's rows for the same keys. Keys the tenant's rows
 * lost to another tenant's as a resolved conflict ({@code resolvedKeys}: a query of their keys as
 * jsonb, {@code key}) are left out of both sides; any other difference is a mismatch drilled into
 * and named by key like any table's.
 *
 * @param table the shared table (no tenant column; keyed by the source's primary key)
 * @param staging the qualified table holding the tenant's rows
 * @param shared the qualified published shared table
 * @param resolvedKeys the keys of the tenant's rows overruled when it published, if any
 */
public record SharedTableCheck(
    TargetTable table, String staging, String shared, Optional<String> resolvedKeys, int buckets) {

  /** The tenant's rows, less its resolved conflicts. */
  public ChecksumSql tenantSide() {
    return new ChecksumSql(
        ChecksumQueries.spec(table, buckets),
        "(SELECT r.* FROM " + staging + " r" + where(unresolved("r")) + ") tenant_rows",
        null);
  }

  /**
   * The published rows with the tenant's keys, less its resolved conflicts: a key it has that is
   * not published is missing.
   */
  public ChecksumSql publishedSide() {
    List<String> join = new ArrayList<>();
    for (String k : table.primaryKey()) {
      join.add("r." + ident(k) + " = p." + ident(k));
    }
    List<String> conditions = new ArrayList<>();
    conditions.add(
        "EXISTS (SELECT 1 FROM " + staging + " r WHERE " + String.join(" AND ", join) + ")");
    unresolved("p").ifPresent(conditions::add);
    return new ChecksumSql(
        ChecksumQueries.spec(table, buckets),
        "(SELECT p.* FROM "
            + shared
            + " p WHERE "
            + String.join(" AND ", conditions)
            + ") published_rows",
        null);
  }

  /** How many of the tenant's rows are left out as resolved conflicts: one row, one count. */
  public String resolvedRowsSql() {
    return resolvedKeys.isEmpty()
        ? "SELECT 0"
        : "SELECT count(*) FROM "
            + staging
            + " r WHERE EXISTS (SELECT 1 FROM ("
            + resolvedKeys.get()
            + ") k WHERE k.key = "
            + key("r")
            + ")";
  }

  private Optional<String> unresolved(String alias) {
    return resolvedKeys.map(
        keys -> "NOT EXISTS (SELECT 1 FROM (" + keys + ") k WHERE k.key = " + key(alias) + ")");
  }

  private String key(String alias) {
    return Sql.keyJson(table.primaryKey(), alias);
  }

  private static String where(Optional<String> condition) {
    return condition.map(c -> " WHERE " + c).orElse("");
  }
}
