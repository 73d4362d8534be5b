package dev.tenantfold.extract.export;

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

/**
 * The export's tables as the project's catalog ({@link TenantCatalog}, {@link TableSpec}, {@link
 * ColumnSpec} with the same type strings a JDBC catalog yields), plus what the export metadata
 * could not tell and how it disagrees with the JDBC catalog when one was given.
 *
 * <p>The export metadata holds {@code information_schema} type names: {@code ARRAY} without its
 * element type, {@code USER-DEFINED} without the enum's name or labels, {@code numeric} without
 * precision and scale (unless the size fields are present), and no primary keys. A JDBC catalog
 * ({@code export.catalog}) wins where it has the table; otherwise such columns keep the metadata's
 * type and are listed in {@link #unknownTypes()}.
 *
 * @param catalog the exported tables (status COMPLETE) as a catalog
 * @param unknownTypes columns whose exact type the metadata cannot tell and no JDBC catalog gave
 * @param missingTables tables the JDBC catalog has that the export lacks or did not export, with
 *     RDS's warning
 * @param columnMismatches columns present in the JDBC catalog or in the export and not in the other
 * @param primaryKeysKnown whether primary keys come from a JDBC catalog (the metadata has none)
 */
public record ExportCatalog(
    TenantCatalog catalog,
    List<UnknownType> unknownTypes,
    List<MissingTable> missingTables,
    List<String> columnMismatches,
    boolean primaryKeysKnown) {

  public ExportCatalog {
    unknownTypes = List.copyOf(unknownTypes);
    missingTables = List.copyOf(missingTables);
    columnMismatches = List.copyOf(columnMismatches);
  }

  /** A column whose exact type the export metadata cannot tell. */
  public record UnknownType(String table, String column, String originalType, String unknown) {
    public String describe(String tenantId) {
      return "tenant "
          + tenantId
          + " table "
          + table
          + " column "
          + column
          + ": type unknown (export metadata says "
          + originalType
          + ", not its "
          + unknown
          + "), set export.catalog";
    }
  }

  /** A table of the JDBC catalog that the export lacks or skipped. */
  public record MissingTable(String table, String status, String warningMessage) {
    public String describe(String tenantId) {
      return "tenant "
          + tenantId
          + " table "
          + table
          + ": "
          + (status == null
              ? "not in the export"
              : "not exported (status "
                  + status
                  + (warningMessage == null ? "" : ", " + warningMessage)
                  + ")");
    }
  }

  /**
   * Throws unless every exported column's type is known and, with a JDBC catalog, the export holds
   * every table and column it lists.
   */
  public void requireComplete() throws ExportException {
    List<String> problems = new ArrayList<>();
    unknownTypes.forEach(u -> problems.add(u.describe(catalog.tenantId())));
    missingTables.forEach(m -> problems.add(m.describe(catalog.tenantId())));
    problems.addAll(columnMismatches);
    if (!problems.isEmpty()) {
      throw new ExportException(
          "Cannot plan tenant "
              + catalog.tenantId()
              + " from its export: "
              + String.join("; ", problems),
          problems,
          null);
    }
  }

  static ExportCatalog of(String tenantId, RdsExport export, Optional<TenantCatalog> jdbc) {
    List<TableSpec> tables = new ArrayList<>();
    List<UnknownType> unknown = new ArrayList<>();
    List<MissingTable> missing = new ArrayList<>();
    List<String> mismatches = new ArrayList<>();
    // An export holds the leaf partitions of a partitioned table, not the parent: their rows are
    // the parent's.
    Map<String, TableSpec> parentOfLeaf = new HashMap<>();
    jdbc.ifPresent(
        c ->
            c.tables().forEach(s -> s.leafPartitions().forEach(leaf -> parentOfLeaf.put(leaf, s))));
    for (ExportedTable t : export.tables()) {
      if (!t.exported()) {
        continue;
      }
      TableSpec parent = parentOfLeaf.get(t.qualifiedName());
      if (parent != null) {
        compareColumns(
            tenantId,
            t,
            parent.columns(),
            " (a partition of " + parent.qualifiedName() + ")",
            mismatches);
        continue;
      }
      Optional<TableSpec> known =
          jdbc.flatMap(
              c ->
                  c.tables().stream()
                      .filter(s -> s.schema().equals(t.schema()) && s.name().equals(t.table()))
                      .findFirst());
      if (known.isPresent()) {
        if (!hasLeaves(known.get())) {
          compareColumns(tenantId, t, known.get().columns(), "", mismatches);
          tables.add(known.get());
        }
        // else: the parent's own entry; a partitioned table holds no rows of its own.
        continue;
      }
      List<ColumnSpec> columns = new ArrayList<>();
      for (OriginalType o : t.columns()) {
        MappedType m = map(o);
        if (m.unknown() != null) {
          unknown.add(
              new UnknownType(t.qualifiedName(), o.columnName(), o.originalType(), m.unknown()));
        }
        columns.add(new ColumnSpec(o.columnName(), m.type(), false, null, m.array()));
      }
      tables.add(
          new TableSpec(
              t.schema(),
              t.table(),
              columns,
              List.of(),
              List.of(),
              t.rowCount().orElse(0),
              0,
              false));
    }
    jdbc.ifPresent(
        c -> {
          for (TableSpec s : c.tables()) {
            if (hasLeaves(s)) {
              tables.add(s);
              for (String leaf : s.leafPartitions()) {
                int dot = leaf.indexOf('.');
                Optional<ExportedTable> e =
                    export.table(leaf.substring(0, dot), leaf.substring(dot + 1));
                if (e.isEmpty() || !e.get().exported()) {
                  String status = e.map(ExportedTable::status).orElse(null);
                  missing.add(
                      new MissingTable(
                          leaf + " (a partition of " + s.qualifiedName() + ")",
                          status,
                          e.map(ExportedTable::warningMessage).orElse(null)));
                }
              }
              continue;
            }
            Optional<ExportedTable> e = export.table(s.schema(), s.name());
            if (e.isEmpty()) {
              if (s.partitioned()) {
                // A partitioned table without partitions holds no rows: nothing to export.
                tables.add(s);
              } else {
                missing.add(new MissingTable(s.qualifiedName(), null, null));
              }
            } else if (!e.get().exported()) {
              missing.add(
                  new MissingTable(s.qualifiedName(), e.get().status(), e.get().warningMessage()));
            }
          }
        });
    Map<String, EnumSpec> enums = jdbc.map(TenantCatalog::enums).orElse(Map.of());
    int version = jdbc.map(TenantCatalog::serverVersionNum).orElse(0);
    return new ExportCatalog(
        new TenantCatalog(tenantId, version, tables, new LinkedHashMap<>(enums)),
        unknown,
        missing,
        mismatches,
        jdbc.isPresent());
  }

  private static boolean hasLeaves(TableSpec table) {
    return table.partitioned() && !table.leafPartitions().isEmpty();
  }

  /**
   * Columns of export.catalog's table against the exported table's metadata: a column in one and
   * not the other is named.
   */
  private static void compareColumns(
      String tenantId,
      ExportedTable t,
      List<ColumnSpec> catalog,
      String note,
      List<String> mismatches) {
    Set<String> exported = new LinkedHashSet<>();
    t.columns().forEach(c -> exported.add(c.columnName()));
    for (ColumnSpec c : catalog) {
      if (!exported.remove(c.name())) {
        mismatches.add(
            "tenant "
                + tenantId
                + " table "
                + t.qualifiedName()
                + note
                + " column "
                + c.name()
                + ": in export.catalog but not in the export (RDS skips columns it cannot export)");
      }
    }
    exported.forEach(
        name ->
            mismatches.add(
                "tenant "
                    + tenantId
                    + " table "
                    + t.qualifiedName()
                    + note
                    + " column "
                    + name
                    + ": in the export but not in export.catalog"));
  }

  record MappedType(String type, boolean array, String unknown) {}

  /**
   * {@code information_schema.columns.data_type} (plus the size fields, when present) as {@code
   * format_type} text.
   */
  static MappedType map(OriginalType o) {
    String t = o.originalType().trim();
    Integer len = o.charMaxLength() != null && o.charMaxLength() > 0 ? o.charMaxLength() : null;
    Integer dtp = o.dateTimePrecision();
    switch (t) {
      case "ARRAY":
        return new MappedType("ARRAY", true, "element type");
      case "USER-DEFINED":
        return new MappedType(
            "USER-DEFINED", false, "type name (an enum's labels, an extension type)");
      case "numeric":
      case "decimal":
        if (o.numericPrecision() != null && o.numericPrecision() > 0 && o.numericScale() != null) {
          return new MappedType(
              "numeric(" + o.numericPrecision() + "," + o.numericScale() + ")", false, null);
        }
        return new MappedType("numeric", false, "precision and scale");
      case "character varying":
        return new MappedType(
            len == null ? "character varying" : "character varying(" + len + ")", false, null);
      case "character":
        return len == null
            ? new MappedType("character", false, "length")
            : new MappedType("character(" + len + ")", false, null);
      case "bit":
      case "bit varying":
        return len == null
            ? new MappedType(t, false, "length")
            : new MappedType(t + "(" + len + ")", false, null);
      case "timestamp with time zone":
      case "timestamp without time zone":
      case "time with time zone":
      case "time without time zone":
        {
          if (dtp == null || dtp == 6) {
            return new MappedType(t, false, null);
          }
          int space = t.indexOf(' ');
          return new MappedType(
              t.substring(0, space) + "(" + dtp + ")" + t.substring(space), false, null);
        }
      default:
        return new MappedType(t, false, null);
    }
  }
}
