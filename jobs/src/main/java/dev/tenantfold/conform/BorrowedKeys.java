package dev.tenantfold.conform;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a catalog read from an RDS export without {@code export.catalog} cannot know, taken from the
 * consolidated tables already in the target and from the other tenants' catalogs:
 *
 * <ul>
 *   <li>Partition parents: a table another tenant's catalog names as a leaf partition of a
 *       partitioned table ({@code payment_p2022_01} of {@code payment}) is folded into that parent,
 *       so its rows land in the parent's consolidated table as a JDBC tenant's do. A leaf no
 *       catalog names stays a table of its own (logged when its name looks like a partition's).
 *   <li>Exact column types: the metadata's {@code originalType} loses array element types, enum
 *       names, numeric precision and scale, character lengths. Each column takes the type the
 *       target's (first) or another tenant's same table and column has, when it is compatible with
 *       the export's type (an array for {@code ARRAY}, an enum or extension type for {@code
 *       USER-DEFINED}, the same base type otherwise, never another precision of a time type). A
 *       column whose type stays unknown is left out here and named when the source opens ({@code
 *       ExportTenantSource}), so the tenant fails alone.
 *   <li>Primary keys (the metadata has none): the key the consolidated table already has in the
 *       target, or else the key another tenant's same table has, when every key column exists. The
 *       staging table's primary key then proves the key holds for this tenant's rows too; a table
 *       no one has a key for stays keyless.
 * </ul>
 *
 * <p>The run opens the tenant's source after planning and must find the catalog it planned with:
 * {@link #planned} returns the last result for an equal input catalog (an export is immutable, so
 * reading it again yields an equal catalog).
 */
public final class BorrowedKeys {
  private static final Logger LOG = LoggerFactory.getLogger(BorrowedKeys.class);

  /**
   * The metadata's types that hold less than the column's type ({@code ExportCatalog.map}): only
   * these are unknown.
   */
  private static final Set<String> PLACEHOLDERS =
      Set.of("ARRAY", "USER-DEFINED", "numeric", "character", "bit", "bit varying");

  private static final Set<String> BUILT_IN =
      Set.of(
          "smallint",
          "integer",
          "bigint",
          "numeric",
          "real",
          "double precision",
          "boolean",
          "text",
          "character varying",
          "character",
          "bytea",
          "date",
          "time without time zone",
          "time with time zone",
          "timestamp without time zone",
          "timestamp with time zone",
          "interval",
          "json",
          "jsonb",
          "uuid",
          "inet",
          "cidr",
          "macaddr",
          "macaddr8",
          "money",
          "xml",
          "bit",
          "bit varying",
          "tsvector",
          "tsquery",
          "oid");
  private static final int MEMO_LIMIT = 256;
  private static final Map<TenantCatalog, TenantCatalog> PLANNED = new ConcurrentHashMap<>();

  private BorrowedKeys() {}

  public static TenantCatalog fill(
      TenantCatalog lacking,
      List<TenantCatalog> others,
      TenantCatalog target,
      String tenantColumn) {
    Map<String, EnumSpec> enums = new LinkedHashMap<>(lacking.enums());
    List<TableSpec> tables = new ArrayList<>();
    for (TableSpec t : foldPartitions(lacking, others, target)) {
      Optional<TableSpec> known = borrowTypes(lacking.tenantId(), t, others, target, enums);
      if (known.isEmpty()) {
        // Left out of planning, so no consolidated table is made for it; the tenant fails naming
        // the column when its source opens.
        continue;
      }
      TableSpec typed = known.get();
      if (!typed.primaryKey().isEmpty()) {
        tables.add(typed);
        continue;
      }
      Optional<List<String>> key =
          target
              .table(t.key())
              .map(s -> s.primaryKey().stream().filter(c -> !c.equals(tenantColumn)).toList())
              .filter(k -> usable(typed, k));
      for (TenantCatalog other : others) {
        if (key.isEmpty()) {
          key = other.table(t.key()).map(TableSpec::primaryKey).filter(k -> usable(typed, k));
        }
      }
      tables.add(
          key.map(
                  k ->
                      new TableSpec(
                          typed.schema(),
                          typed.name(),
                          typed.columns(),
                          k,
                          typed.foreignKeys(),
                          typed.estimatedRows(),
                          typed.pages(),
                          typed.partitioned(),
                          typed.leafPartitions()))
              .orElse(typed));
    }
    TenantCatalog filled =
        new TenantCatalog(lacking.tenantId(), lacking.serverVersionNum(), tables, enums);
    if (PLANNED.size() > MEMO_LIMIT) {
      PLANNED.clear();
    }
    PLANNED.put(lacking, filled);
    return filled;
  }

  /** What {@link #fill} last made of a catalog equal to {@code lacking}, if it did. */
  public static Optional<TenantCatalog> planned(TenantCatalog lacking) {
    return Optional.ofNullable(PLANNED.get(lacking));
  }

  /**
   * Whether {@code type} is one of the export metadata's types that leave the column's exact type
   * unknown.
   */
  public static boolean unknownType(String type) {
    return PLACEHOLDERS.contains(type);
  }

  /**
   * Leaf partitions another tenant's catalog names, folded into their parent; every other table as
   * it is.
   */
  private static List<TableSpec> foldPartitions(
      TenantCatalog lacking, List<TenantCatalog> others, TenantCatalog target) {
    Map<String, TableSpec> parentOfLeaf = new HashMap<>();
    for (TenantCatalog other : others) {
      for (TableSpec p : other.tables()) {
        p.leafPartitions().forEach(leaf -> parentOfLeaf.putIfAbsent(leaf, p));
      }
    }
    Map<String, List<TableSpec>> leavesByParent = new LinkedHashMap<>();
    Map<String, TableSpec> parents = new HashMap<>();
    for (TableSpec t : lacking.tables()) {
      TableSpec parent = parentOfLeaf.get(t.qualifiedName());
      if (parent != null && lacking.table(parent.key()).isEmpty()) {
        leavesByParent.computeIfAbsent(parent.key(), k -> new ArrayList<>()).add(t);
        parents.put(parent.key(), parent);
      }
    }
    List<TableSpec> out = new ArrayList<>();
    Set<String> folded = new LinkedHashSet<>();
    for (Map.Entry<String, List<TableSpec>> e : leavesByParent.entrySet()) {
      List<TableSpec> leaves = e.getValue();
      List<String> names = leaves.get(0).columns().stream().map(ColumnSpec::name).toList();
      if (leaves.stream()
          .anyMatch(l -> !l.columns().stream().map(ColumnSpec::name).toList().equals(names))) {
        LOG.warn(
            "Tenant {}: tables {} are partitions of {} in another tenant's catalog but their"
                + " columns differ; each loads as a table of its own (set export.catalog to read"
                + " them as one table)",
            lacking.tenantId(),
            leaves.stream().map(TableSpec::qualifiedName).toList(),
            e.getKey());
        continue;
      }
      TableSpec parent = parents.get(e.getKey());
      out.add(
          new TableSpec(
              parent.schema(),
              parent.name(),
              leaves.get(0).columns(),
              List.of(),
              List.of(),
              leaves.stream().mapToLong(TableSpec::estimatedRows).sum(),
              0,
              true,
              leaves.stream().map(TableSpec::qualifiedName).sorted().toList()));
      leaves.forEach(l -> folded.add(l.qualifiedName()));
      LOG.info(
          "Tenant {}: export tables {} are the partitions of {} (as another tenant's catalog says):"
              + " their rows load into its consolidated table",
          lacking.tenantId(),
          leaves.stream().map(TableSpec::qualifiedName).toList(),
          parent.qualifiedName());
    }
    Set<String> knownNames = new LinkedHashSet<>(parents.keySet());
    others.forEach(o -> o.tables().forEach(p -> knownNames.add(p.name())));
    target.tables().forEach(p -> knownNames.add(p.name()));
    for (TableSpec t : lacking.tables()) {
      if (folded.contains(t.qualifiedName())) {
        continue;
      }
      Optional<String> parent =
          knownNames.stream().filter(p -> looksLikePartition(t.name(), p)).findFirst();
      if (parent.isPresent()) {
        LOG.warn(
            "Tenant {}: table {} of the export is named like a partition of {}, but no tenant's"
                + " catalog names it one: it loads as a table of its own (set export.catalog to"
                + " load it into {})",
            lacking.tenantId(),
            t.qualifiedName(),
            parent.get(),
            parent.get());
      } else if (t.name().matches(".+_[a-z]*\\d.*")) {
        LOG.warn(
            "Tenant {}: table {} of the export may be a leaf partition (its name ends like one),"
                + " but no tenant's catalog names its parent: it loads as a table of its own (set"
                + " export.catalog if it is a partition)",
            lacking.tenantId(),
            t.qualifiedName());
      }
      out.add(t);
    }
    return out;
  }

  /**
   * {@code table} with every column whose exact type the target or another tenant has; empty when a
   * column's type stays unknown.
   */
  private static Optional<TableSpec> borrowTypes(
      String tenantId,
      TableSpec table,
      List<TenantCatalog> others,
      TenantCatalog target,
      Map<String, EnumSpec> enums) {
    List<ColumnSpec> columns = new ArrayList<>();
    boolean unknown = false;
    List<TenantCatalog> lenders = new ArrayList<>();
    lenders.add(target);
    lenders.addAll(others);
    for (ColumnSpec c : table.columns()) {
      Optional<ColumnSpec> lent = Optional.empty();
      TenantCatalog lender = null;
      for (TenantCatalog l : lenders) {
        Optional<ColumnSpec> candidate =
            l.table(table.key()).flatMap(s -> s.column(c.name())).filter(b -> compatible(c, b));
        if (candidate.isPresent()) {
          lent = candidate;
          lender = l;
          break;
        }
      }
      if (lent.isEmpty()) {
        if (unknownType(c.type())) {
          unknown = true;
          LOG.warn(
              "Tenant {} table {} column {}: type unknown (the export metadata says {}) and no"
                  + " consolidated table or other tenant has it with a matching type",
              tenantId,
              table.qualifiedName(),
              c.name(),
              c.type());
        } else {
          columns.add(c);
        }
        continue;
      }
      ColumnSpec b = lent.get();
      if (b.enumType() != null) {
        EnumSpec labels = lender.enums().get(b.enumType());
        if (labels != null) {
          enums.putIfAbsent(b.enumType(), labels);
        }
        columns.add(
            new ColumnSpec(
                c.name(),
                b.enumType() + (b.array() ? "[]" : ""),
                c.notNull(),
                b.enumType(),
                b.array()));
      } else {
        columns.add(new ColumnSpec(c.name(), b.type(), c.notNull(), null, b.array()));
      }
    }
    return unknown
        ? Optional.empty()
        : Optional.of(
            new TableSpec(
                table.schema(),
                table.name(),
                columns,
                table.primaryKey(),
                table.foreignKeys(),
                table.estimatedRows(),
                table.pages(),
                table.partitioned(),
                table.leafPartitions()));
  }

  /**
   * Whether {@code lent} may stand for the export's {@code own} column: an array for {@code ARRAY},
   * an enum or extension type for {@code USER-DEFINED}, else the same base type, with the type
   * modifier taken only where the export's type has none (never for time types: the export's
   * unmodified time type already is precision 6).
   */
  static boolean compatible(ColumnSpec own, ColumnSpec lent) {
    switch (own.type()) {
      case "ARRAY":
        return lent.array();
      case "USER-DEFINED":
        return !lent.array() && (lent.enumType() != null || !BUILT_IN.contains(base(lent.type())));
      default:
        if (lent.array()
            || own.array()
            || lent.enumType() != null
            || !base(own.type()).equals(base(lent.type()))) {
          return false;
        }
        return own.type().equals(lent.type())
            || (!own.type().contains("(") && !base(own.type()).startsWith("time"));
    }
  }

  /**
   * A type without its modifier: {@code character varying(20)} is {@code character varying}, {@code
   * timestamp(3) with time zone} {@code timestamp with time zone}.
   */
  private static String base(String type) {
    return type.replaceAll("\\([^)]*\\)", "").trim();
  }

  /**
   * {@code payment_p2022_01} of {@code payment}: the parent's name, '_', then a suffix with a digit
   * (only to warn, never to fold).
   */
  private static boolean looksLikePartition(String table, String parent) {
    return !table.equals(parent)
        && table.startsWith(parent + "_")
        && table.substring(parent.length() + 1).matches(".*\\d.*");
  }

  private static boolean usable(TableSpec table, List<String> key) {
    return !key.isEmpty() && key.stream().allMatch(c -> table.column(c).isPresent());
  }
}
