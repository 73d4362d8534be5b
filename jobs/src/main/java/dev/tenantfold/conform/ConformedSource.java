package dev.tenantfold.conform;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.config.RulesConfig.ColumnRule;
import dev.tenantfold.config.RulesConfig.Dedup;
import dev.tenantfold.config.RulesConfig.SortKey;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.ReadPartition;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How one tenant's table becomes rows of the consolidated table, as SQL run in the tenant's
 * snapshot (or, for an export tenant whose rule only SQL applies, over its landing table in the
 * target: {@link #appliesOnlyInSql}): the one owner of that rule, used by the extract (COPY out)
 * and by the source side of the checksum, so validation checks exactly what was loaded.
 *
 * <ol>
 *   <li>deduplicate ({@code rules.T.dedup}): keyed keeps one row per key, the first by {@code keep}
 *       (NULLs last), ties broken by the row's text in byte order; exact keeps one of each set of
 *       rows whose text is identical;
 *   <li>reject rows whose value of a cast column is not valid input for the cast type ({@code
 *       pg_input_is_valid}, PostgreSQL 16+ on the source);
 *   <li>conform every target column: the source column, cast to the target type where the types
 *       differ (widening never fails; a rule's cast goes through the value's text), the rule's
 *       default or NULL where the tenant lacks it.
 * </ol>
 */
public record ConformedSource(TargetTable table, TableSpec source, TableRule rule) {
  private static final String ROW = "d";

  /** Whether rows are dropped or rejected on the way (the counts then need their own queries). */
  public boolean changesRows() {
    return rule.dedup().isPresent() || !castColumns().isEmpty();
  }

  /**
   * Whether the rule does something only this SQL applies (not the Spark path of an export tenant):
   * a cast of a column the tenant has, a default for a column it lacks, or the duplicates
   * quarantine. An export tenant's table with such a rule lands its rows in the target first and is
   * conformed there by this SQL (docs/reconcile.md, "Export tenants").
   */
  public boolean appliesOnlyInSql() {
    boolean defaulted =
        table.columns().stream()
            .anyMatch(
                c ->
                    source.column(c.name()).isEmpty()
                        && rule.column(c.name()).flatMap(ColumnRule::defaultValue).isPresent());
    return !castColumns().isEmpty()
        || defaulted
        || (rule.quarantineDuplicates() && rule.dedup().isPresent());
  }

  /** The first PostgreSQL version ({@code server_version_num}) with {@code pg_input_is_valid}. */
  public static final int INPUT_VALIDATION_VERSION = 160000;

  /**
   * Whether this SQL needs {@code pg_input_is_valid} (a cast rule on a column the tenant has): a
   * source older than {@link #INPUT_VALIDATION_VERSION} then lands the rows in the target and
   * conforms them there, as export tenants do.
   */
  public boolean needsInputValidation() {
    return !castColumns().isEmpty();
  }

  /**
   * Whether the table must be read as one partition (deduplication compares rows across the whole
   * table).
   */
  public boolean wholeTableOnly() {
    return rule.dedup().isPresent();
  }

  /**
   * The conformed rows with the tenant id first, for COPY out; {@code partitionPredicate} may be
   * empty.
   */
  public String select(String tenantId, String partitionPredicate) {
    List<String> items = new ArrayList<>();
    items.add(literal(tenantId) + "::text");
    items.addAll(expressions(false, false));
    return "SELECT " + String.join(", ", items) + " FROM " + deduped() + where(partitionPredicate);
  }

  /** {@link #select} as a {@code COPY ... TO STDOUT} of the rows of one read partition. */
  public String copyOut(String tenantId, ReadPartition partition) {
    return "COPY ("
        + select(tenantId, partition.wholeTable() ? "" : partition.predicate())
        + ") TO STDOUT";
  }

  /**
   * Why this table's rows cannot travel from the source to staging in PostgreSQL's binary COPY
   * format; empty when they can. The target reads each binary value with the receive function of
   * its staging column's type, which expects exactly that type's bytes, so every value {@link
   * #select} yields must already have that type, and the type must be one whose binary form every
   * server reads back exactly ({@link BinaryCopyTypes}). The one owner of this rule.
   */
  public Optional<String> binaryCopyObstacle() {
    for (ColumnSpec column : table.columns()) {
      if (!column.loaded()) {
        continue;
      }
      Optional<String> obstacle = binaryObstacle(column);
      if (obstacle.isPresent()) {
        return Optional.of("column " + column.name() + ": " + obstacle.get());
      }
    }
    return Optional.empty();
  }

  /**
   * What keeps {@link #expression}'s value for {@code target} from binary COPY (the tenant column,
   * {@code 'id'::text} into text, never does).
   */
  private Optional<String> binaryObstacle(ColumnSpec target) {
    Optional<ColumnSpec> present = source.column(target.name());
    if (target.domain() != null || present.map(ColumnSpec::domain).isPresent()) {
      return Optional.of("a domain or composite type (text only)");
    }
    Optional<String> cast =
        present.flatMap(p -> rule.column(target.name()).flatMap(ColumnRule::cast));
    if (target.enumType() != null) {
      if (target.array()) {
        return Optional.of(
            "an array of an enum (its binary form names the element type by the source"
                + " database's OID, which some PostgreSQL releases refuse to receive)");
      }
      // A label travels as text both ways; a missing column is NULL::text or the default's label.
      boolean labels =
          present.isEmpty()
              || (cast.isEmpty() && present.get().enumType() != null && !present.get().array());
      return labels ? Optional.empty() : Optional.of("an enum read from another type");
    }
    if (!BinaryCopyTypes.exchangeable(target.type())) {
      return Optional.of("type " + target.type() + " (text only)");
    }
    if (present.isPresent() && present.get().enumType() != null) {
      return Optional.of("an enum loaded as " + target.type());
    }
    if (cast.isPresent()
        && !TypeLattice.normal(cast.get()).equals(TypeLattice.normal(target.type()))) {
      return Optional.of(
          "the cast rule's type " + cast.get() + " is not the column's " + target.type());
    }
    // The column as it is (the same type), cast to the target type, or NULL or a default of it.
    return Optional.empty();
  }

  /**
   * The relation the source checksum reads: the target's columns under their names, conformed as
   * {@link #select} loads them; the bare table when nothing needs conforming.
   */
  public String checksumRelation() {
    if (!changesRows()
        && table.columns().stream()
            .allMatch(c -> source.column(c.name()).filter(s -> sameType(s, c)).isPresent())) {
      return source.readRelation();
    }
    return "(SELECT "
        + String.join(", ", expressions(true, true))
        + " FROM "
        + deduped()
        + where("")
        + ") src";
  }

  /**
   * One row: {@code source_rows, kept_rows, rejected_rows}: the table's rows, those left after
   * deduplication, and those among them that a cast rejects.
   */
  public String accountingSql() {
    Optional<String> valid = castsValid();
    return "SELECT (SELECT count(*) FROM "
        + source.readRelation()
        + "), count(*), "
        + valid.map(v -> "count(*) FILTER (WHERE NOT (" + v + "))").orElse("0")
        + " FROM "
        + deduped();
  }

  /**
   * Up to {@code limit} rejected rows: {@code key jsonb} (the source key's columns and values, null
   * without a key), {@code column_name}, {@code reason} (PostgreSQL's message), {@code row_data
   * jsonb}.
   */
  public Optional<String> rejectsSql(long limit) {
    Optional<String> valid = castsValid();
    if (valid.isEmpty()) {
      return Optional.empty();
    }
    List<ColumnSpec> casts = castColumns();
    StringBuilder column = new StringBuilder("CASE");
    StringBuilder reason = new StringBuilder("CASE");
    for (ColumnSpec c : casts) {
      String type = rule.column(c.name()).flatMap(ColumnRule::cast).orElseThrow();
      String v = ident(c.name());
      column
          .append(" WHEN NOT ")
          .append(validity(v, type))
          .append(" THEN ")
          .append(literal(c.name()));
      reason
          .append(" WHEN NOT ")
          .append(validity(v, type))
          .append(" THEN (pg_input_error_info(")
          .append(v)
          .append("::text, ")
          .append(literal(type))
          .append(")).message");
    }
    String key =
        source.primaryKey().isEmpty() ? "NULL::jsonb" : Sql.keyJson(source.primaryKey(), "");
    return Optional.of(
        "SELECT "
            + key
            + " AS key, "
            + column
            + " END AS column_name, "
            + reason
            + " END AS reason, to_jsonb("
            + ROW
            + ") AS row_data FROM "
            + deduped()
            + " WHERE NOT ("
            + valid.get()
            + ") LIMIT "
            + limit);
  }

  /**
   * The rows deduplication removes, as COPY rows of {@code <report>.duplicates}: {@code run_id,
   * tenant_id, table_name, key} (the dedup key's columns and values; null for exact dedup) and
   * {@code row_data} (the whole source row). The same order as {@link #deduped} ranks them, so the
   * rows listed are exactly the rows not kept. Empty without a dedup rule.
   */
  public Optional<String> duplicatesCopyOut(String runId, String tenantId) {
    return duplicatesSelect(runId, tenantId).map(select -> "COPY (" + select + ") TO STDOUT");
  }

  /**
   * {@link #duplicatesCopyOut}'s rows as a plain SELECT, for when the source relation is in the
   * target itself (an export tenant's landing table): {@code INSERT INTO <report>.duplicates ...
   * SELECT}.
   */
  public Optional<String> duplicatesSelect(String runId, String tenantId) {
    if (rule.dedup().isEmpty()) {
      return Optional.empty();
    }
    Dedup dedup = rule.dedup().get();
    String partition = dedup.exact() ? rowText() : dedupKey(dedup);
    String key = dedup.exact() ? "NULL::jsonb" : Sql.keyJson(dedup.key(), "x");
    List<String> order = dedup.exact() ? List.of() : keepOrder(dedup);
    String ranked =
        "SELECT "
            + ROW
            + ".*, row_number() OVER (PARTITION BY "
            + partition
            + (order.isEmpty() ? "" : " ORDER BY " + String.join(", ", order))
            + ") AS tenantfold_rank FROM "
            + source.readRelation()
            + " "
            + ROW;
    return Optional.of(
        "SELECT "
            + literal(runId)
            + ", "
            + literal(tenantId)
            + ", "
            + literal(table.name())
            + ", "
            + key
            + ", to_jsonb(x) - 'tenantfold_rank' FROM ("
            + ranked
            + ") x WHERE tenantfold_rank > 1");
  }

  private String where(String partitionPredicate) {
    List<String> conditions = new ArrayList<>();
    castsValid().ifPresent(conditions::add);
    if (partitionPredicate != null && !partitionPredicate.isEmpty()) {
      conditions.add(partitionPredicate);
    }
    return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
  }

  /** The source relation after deduplication, aliased {@code d}. */
  private String deduped() {
    String relation = source.readRelation() + " " + ROW;
    if (rule.dedup().isEmpty()) {
      return relation;
    }
    Dedup dedup = rule.dedup().get();
    if (dedup.exact()) {
      return "(SELECT DISTINCT ON (" + rowText() + ") * FROM " + relation + ") " + ROW;
    }
    List<String> order = new ArrayList<>(dedup.key().stream().map(k -> ident(k)).toList());
    order.addAll(keepOrder(dedup));
    return "(SELECT DISTINCT ON ("
        + dedupKey(dedup)
        + ") * FROM "
        + relation
        + " ORDER BY "
        + String.join(", ", order)
        + ") "
        + ROW;
  }

  /**
   * The whole row's text in byte order: exact dedup's identity, and the last tie-break of keyed
   * dedup.
   */
  private static String rowText() {
    return "(" + ROW + ".*)::text COLLATE \"C\"";
  }

  private static String dedupKey(Dedup dedup) {
    return String.join(", ", dedup.key().stream().map(k -> ident(k)).toList());
  }

  /**
   * Which row of a key is kept: the {@code keep} columns (NULLs last), then the row's text. The one
   * order both {@link #deduped} (DISTINCT ON keeps the first) and {@link #duplicatesCopyOut} (ranks
   * after the first are removed) use, so the quarantine lists exactly the rows not kept.
   */
  private static List<String> keepOrder(Dedup dedup) {
    List<String> order = new ArrayList<>();
    for (SortKey k : dedup.keep()) {
      order.add(ident(k.column()) + (k.descending() ? " DESC" : " ASC") + " NULLS LAST");
    }
    order.add(rowText());
    return order;
  }

  /**
   * The conformed columns; {@code generated}: with the generated columns too (the checksum reads
   * them, COPY does not).
   */
  private List<String> expressions(boolean named, boolean generated) {
    List<String> items = new ArrayList<>();
    for (ColumnSpec column : table.columns()) {
      if (!generated && !column.loaded()) {
        continue;
      }
      String expression = expression(column);
      items.add(
          named && !expression.equals(ident(column.name()))
              ? expression + " AS " + ident(column.name())
              : expression);
    }
    return items;
  }

  private String expression(ColumnSpec target) {
    Optional<ColumnRule> columnRule = rule.column(target.name());
    Optional<ColumnSpec> present = source.column(target.name());
    if (present.isEmpty()) {
      Optional<String> fallback = columnRule.flatMap(ColumnRule::defaultValue);
      return (fallback.isPresent() ? literal(fallback.get()) : "NULL") + "::" + nullType(target);
    }
    String column = ident(target.name());
    Optional<String> cast = columnRule.flatMap(ColumnRule::cast);
    if (cast.isPresent()) {
      return "(" + column + "::text)::" + cast.get();
    }
    return sameType(present.get(), target) ? column : column + "::" + target.type();
  }

  /** The conjunction of every cast column's validity, empty when no rule casts. */
  private Optional<String> castsValid() {
    List<String> checks = new ArrayList<>();
    for (ColumnSpec c : castColumns()) {
      checks.add(
          validity(ident(c.name()), rule.column(c.name()).flatMap(ColumnRule::cast).orElseThrow()));
    }
    return checks.isEmpty() ? Optional.empty() : Optional.of(String.join(" AND ", checks));
  }

  private static String validity(String column, String type) {
    return "("
        + column
        + " IS NULL OR pg_input_is_valid("
        + column
        + "::text, "
        + literal(type)
        + "))";
  }

  /** Target columns this tenant has and a rule casts. */
  private List<ColumnSpec> castColumns() {
    return table.columns().stream()
        .filter(c -> source.column(c.name()).isPresent())
        .filter(c -> rule.column(c.name()).flatMap(ColumnRule::cast).isPresent())
        .toList();
  }

  private static boolean sameType(ColumnSpec source, ColumnSpec target) {
    if (source.enumType() != null || target.enumType() != null) {
      // Enum types exist in the target under the target schema; the source's labels load as they
      // are.
      return true;
    }
    return TypeLattice.normal(source.type()).equals(TypeLattice.normal(target.type()));
  }

  private static String nullType(ColumnSpec c) {
    // Enum types exist only in the target; a NULL or a label canonicalises the same as text.
    return c.enumType() != null ? (c.array() ? "text[]" : "text") : c.type();
  }
}
