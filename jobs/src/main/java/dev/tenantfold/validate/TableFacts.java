package dev.tenantfold.validate;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import java.util.List;
import java.util.Optional;

/**
 * What is known of one copied tenant table when its verdict is due, whether {@code run} or {@code
 * validate} checked it: the counts, the checksum comparison, the columns the source has and the
 * target lacks, and where the rows went under rules. {@link TableVerifier} turns it into the
 * table's {@link TableVerdict}.
 *
 * @param hops the row counts at every hop of a run (source snapshot, extracted, copied, staged);
 *     empty for {@code validate}, which compares the source with the published rows only
 * @param sourceRows the rows the source side of the checksum holds
 * @param targetRows the rows the target side of the checksum holds
 * @param checksum the checksum comparison, drilled into where buckets differ
 * @param columnsMissingInTarget source columns the target table cannot hold (not excluded by a
 *     rule)
 * @param absentInSource whether the tenant's source lacks the table
 * @param accounting where the source rows went, for a table whose rules remove or reject rows
 */
public record TableFacts(
    Optional<RowCountCheck> hops,
    long sourceRows,
    long targetRows,
    ChecksumCheck checksum,
    List<String> columnsMissingInTarget,
    boolean absentInSource,
    Optional<Accounting> accounting)
    implements VerdictFacts {

  public TableFacts {
    columnsMissingInTarget = List.copyOf(columnsMissingInTarget);
  }

  /**
   * The columns of the tenant's table ({@code source}, if it has it) that {@code target} lacks,
   * other than those its rule excludes (not loaded by design).
   */
  public static List<String> columnsMissing(
      Optional<TableSpec> source, TargetTable target, RulesConfig.TableRule rule) {
    return source
        .map(
            s ->
                s.columns().stream()
                    .map(ColumnSpec::name)
                    .filter(c -> target.column(c).isEmpty())
                    .filter(c -> !rule.column(c).map(RulesConfig.ColumnRule::exclude).orElse(false))
                    .toList())
        .orElse(List.of());
  }

  /**
   * Where the source rows of a table under rules went, and the limit its rule sets on rejects.
   *
   * @param rows source rows, duplicates removed, rejected, and the rejects themselves
   * @param expectedRows the rows the source snapshot holds to load
   * @param rulePath the rule's config path, for the message
   * @param maxRejectedRows the rule's {@code max-rejected-rows}
   * @param rejectsTable the qualified report table listing the rejects
   */
  public record Accounting(
      RowAccounting rows,
      long expectedRows,
      String rulePath,
      long maxRejectedRows,
      String rejectsTable) {}
}
