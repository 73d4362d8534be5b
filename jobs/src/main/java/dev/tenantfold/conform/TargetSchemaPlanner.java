package dev.tenantfold.conform;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.RulesConfig.ColumnRule;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.TargetSchema.Drift;
import dev.tenantfold.conform.TargetSchema.PlanError;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Merges the tables that exist in the target already and every tenant's catalog into one target
 * schema, under the configured rules. Pure: catalogs and rules in, plan out. Columns are the union,
 * in first-seen order (existing target columns first); a column a tenant lacks loads as NULL (or
 * the rule's default). Types that differ widen along {@link TypeLattice}; a rule's cast decides a
 * column's type outright. A tenant whose column cannot widen to what is planned, or whose primary
 * key differs, is kept out with the reason (the first tenant in config order sets the shape).
 */
public final class TargetSchemaPlanner {
  private static final String TARGET = "the existing target table";

  private TargetSchemaPlanner() {}

  public static TargetSchema plan(
      TenantCatalog existingTarget, List<TenantCatalog> tenants, String tenantColumn) {
    return plan(existingTarget, tenants, tenantColumn, RulesConfig.none());
  }

  public static TargetSchema plan(
      TenantCatalog existingTarget,
      List<TenantCatalog> tenants,
      String tenantColumn,
      RulesConfig rules) {
    checkRules(existingTarget, tenants, tenantColumn, rules);
    Map<String, Draft> drafts = new LinkedHashMap<>();
    Map<String, EnumSpec> enums = new TreeMap<>();
    List<PlanError> errors = new ArrayList<>();
    if (existingTarget != null) {
      for (TableSpec table : existingTarget.tables()) {
        List<ColumnSpec> cols =
            table.columns().stream().filter(c -> !c.name().equals(tenantColumn)).toList();
        List<String> pk = table.primaryKey().stream().filter(c -> !c.equals(tenantColumn)).toList();
        drafts.put(table.key(), Draft.ofTarget(table.key(), cols, pk));
      }
      mergeEnums(enums, existingTarget.enums());
    }
    List<String> accepted = new ArrayList<>();
    // Per enum type, the labels of each accepted tenant (config order): they must agree, or the
    // type must be listed in enum-union.
    Map<String, Map<String, List<String>>> enumHolders = new LinkedHashMap<>();
    for (TenantCatalog tenant : tenants) {
      List<TableSpec> tables =
          tenant.tables().stream().map(t -> withoutExcluded(t, rules.forTable(t.key()))).toList();
      List<PlanError> problems = conflicts(drafts, tenant.tenantId(), tables, tenantColumn, rules);
      problems.addAll(enumConflicts(enumHolders, tenant, tables, rules));
      if (!problems.isEmpty()) {
        errors.addAll(problems);
        continue;
      }
      accepted.add(tenant.tenantId());
      for (TableSpec table : tables) {
        drafts
            .computeIfAbsent(
                table.key(), n -> Draft.ofTenant(n, table.primaryKey(), tenant.tenantId()))
            .absorb(tenant.tenantId(), table, rules.forTable(table.key()));
      }
      tenant
          .enums()
          .values()
          .forEach(
              e ->
                  enumHolders
                      .computeIfAbsent(e.name(), k -> new LinkedHashMap<>())
                      .put(tenant.tenantId(), e.labels()));
      mergeEnums(enums, tenant.enums());
    }
    Map<String, TargetTable> tables = new TreeMap<>();
    List<Drift> drift = new ArrayList<>();
    // Only tables some tenant has are managed; other tables in the target schema are left alone.
    for (Draft d : drafts.values()) {
      if (!d.tenants.isEmpty()) {
        TableRule rule = rules.forTable(d.name);
        tables.put(d.name, d.build(rule));
        drift.addAll(d.drift(accepted, rule));
      }
    }
    return new TargetSchema(new TreeMap<>(tables), enums, rules, drift, errors);
  }

  /** The tenant's table without the columns a rule excludes. */
  private static TableSpec withoutExcluded(TableSpec table, TableRule rule) {
    if (rule.columns().values().stream().noneMatch(ColumnRule::exclude)) {
      return table;
    }
    List<ColumnSpec> kept =
        table.columns().stream()
            .filter(c -> !rule.column(c.name()).map(ColumnRule::exclude).orElse(false))
            .toList();
    return new TableSpec(
        table.schema(),
        table.name(),
        kept,
        table.primaryKey(),
        table.foreignKeys(),
        table.estimatedRows(),
        table.pages(),
        table.partitioned(),
        table.leafPartitions());
  }

  private static List<PlanError> conflicts(
      Map<String, Draft> drafts,
      String tenantId,
      List<TableSpec> tables,
      String tenantColumn,
      RulesConfig rules) {
    List<PlanError> errors = new ArrayList<>();
    for (TableSpec table : tables) {
      if (table.column(tenantColumn).isPresent()) {
        errors.add(
            new PlanError(
                tenantId,
                table.key(),
                tenantColumn,
                "Cannot conform tenant "
                    + tenantId
                    + ": table "
                    + table.qualifiedName()
                    + " already has a column named "
                    + tenantColumn
                    + ", the tenant column; set "
                    + TenantfoldConfig.TENANT_COLUMN.path()
                    + " to another name"));
        continue;
      }
      Draft draft = drafts.get(table.key());
      if (draft == null) {
        continue;
      }
      if (!draft.primaryKey.equals(table.primaryKey())) {
        errors.add(
            new PlanError(
                tenantId,
                table.key(),
                null,
                "Cannot conform tenant "
                    + tenantId
                    + ": table "
                    + table.key()
                    + " has primary key "
                    + table.primaryKey()
                    + " but "
                    + draft.origin
                    + " has "
                    + draft.primaryKey
                    + "; the target needs one key per table"));
        continue;
      }
      TableRule rule = rules.forTable(table.key());
      for (ColumnSpec column : table.columns()) {
        DraftColumn planned = draft.columns.get(column.name());
        if (planned == null || rule.column(column.name()).flatMap(ColumnRule::cast).isPresent()) {
          continue;
        }
        if (planned.widenedWith(column).isEmpty()) {
          errors.add(
              new PlanError(
                  tenantId,
                  table.key(),
                  column.name(),
                  "Cannot conform tenant "
                      + tenantId
                      + ": table "
                      + table.key()
                      + " column "
                      + column.name()
                      + " is "
                      + describe(column)
                      + " but "
                      + planned.holders()
                      + " "
                      + describe(planned.spec)
                      + ", which do not widen to one type; give a cast: "
                      + RulesConfig.CAST.path(table.key(), column.name())
                      + " = TYPE (rows that do not cast are rejected), exclude the column or"
                      + " the table, or align the sources"));
        }
      }
    }
    return errors;
  }

  /**
   * Every table and column a rule names exists somewhere (a tenant or the target); a typo is a
   * config error, not a silent no-op.
   */
  private static void checkRules(
      TenantCatalog existingTarget,
      List<TenantCatalog> tenants,
      String tenantColumn,
      RulesConfig rules) {
    List<TenantCatalog> all = new ArrayList<>(tenants);
    if (existingTarget != null) {
      all.add(existingTarget);
    }
    for (TableRule rule : rules.tables().values()) {
      if (rule.exclude()) {
        continue;
      }
      List<TableSpec> specs =
          all.stream()
              .flatMap(c -> c.tables().stream())
              .filter(t -> RulesConfig.names(rule.table(), t.key()))
              .toList();
      if (specs.isEmpty()) {
        throw new ConfigError(
            "Cannot apply rule "
                + rule.path()
                + ": no tenant has a table named "
                + rule.table()
                + " (check the name; a table outside schema public is named schema.table, quoted: "
                + RulesConfig.path("sales.orders")
                + ")");
      }
      List<String> keys = specs.stream().map(TableSpec::key).distinct().toList();
      if (keys.size() > 1) {
        throw new ConfigError(
            "Cannot apply rule "
                + rule.path()
                + ": tables "
                + keys
                + " are all named "
                + rule.table()
                + "; name one with its"
                + " schema, quoted: "
                + RulesConfig.path(keys.get(keys.size() - 1)));
      }
      Set<String> columns =
          specs.stream()
              .flatMap(t -> t.columns().stream())
              .map(ColumnSpec::name)
              .collect(Collectors.toCollection(LinkedHashSet::new));
      for (ColumnRule column : rule.columns().values()) {
        if (!columns.contains(column.column())) {
          throw new ConfigError(
              "Cannot apply rule "
                  + column.path()
                  + ": table "
                  + rule.table()
                  + " has no column "
                  + column.column()
                  + " in any tenant (columns: "
                  + columns
                  + ")");
        }
        if (column.column().equals(tenantColumn)) {
          throw new ConfigError(
              "Cannot apply rule " + column.path() + ": " + tenantColumn + " is the tenant column");
        }
        if (column.exclude()
            && specs.stream().anyMatch(t -> t.primaryKey().contains(column.column()))) {
          throw new ConfigError(
              "Cannot apply rule "
                  + column.path()
                  + ": column "
                  + column.column()
                  + " is part of the primary key of "
                  + rule.table()
                  + "; a key column cannot be excluded");
        }
      }
      if (rule.shared().isPresent() && specs.stream().anyMatch(t -> t.primaryKey().isEmpty())) {
        throw new ConfigError(
            "Cannot apply rule "
                + rule.shared().get().path()
                + ": table "
                + rule.table()
                + " has no primary key in every tenant; a shared table is keyed by the source key"
                + " (add the key in the sources, or remove the rule)");
      }
      rule.dedup()
          .ifPresent(
              dedup -> {
                List<String> named = new ArrayList<>(dedup.key());
                dedup.keep().forEach(k -> named.add(k.column()));
                for (String name : named) {
                  if (!columns.contains(name)
                      || rule.column(name).map(ColumnRule::exclude).orElse(false)) {
                    throw new ConfigError(
                        "Cannot apply rule "
                            + dedup.path()
                            + ": table "
                            + rule.table()
                            + " has no column "
                            + name
                            + " to deduplicate by"
                            + " (columns: "
                            + columns
                            + ")");
                  }
                  for (TableSpec t : specs) {
                    Optional<ColumnSpec> c = t.column(name);
                    if (c.isPresent() && c.get().enumType() == null && !orderable(c.get().type())) {
                      throw new ConfigError(
                          "Cannot apply rule "
                              + dedup.path()
                              + ": column "
                              + name
                              + " of table "
                              + t.key()
                              + " in tenant "
                              + tenantOf(tenants, t)
                              + " is "
                              + c.get().type()
                              + ", which PostgreSQL cannot sort or group (no btree operator"
                              + " class); deduplicate by other columns (deduplication runs on"
                              + " the source's values, before any cast)");
                    }
                  }
                }
              });
    }
  }

  /**
   * Types PostgreSQL has no default btree operator class for: a dedup key or keep column of such a
   * type fails the run with "could not identify an ordering operator".
   */
  private static final Set<String> UNORDERABLE =
      Set.of("json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle", "aclitem");

  /**
   * Whether a column of {@code type} ({@code format_type} text, arrays with {@code []}) can be
   * sorted and grouped: the dedup rule's key and keep columns must be.
   */
  static boolean orderable(String type) {
    String base = type.trim().toLowerCase(java.util.Locale.ROOT);
    while (base.endsWith("[]")) {
      base = base.substring(0, base.length() - 2);
    }
    return !UNORDERABLE.contains(base);
  }

  private static String tenantOf(List<TenantCatalog> tenants, TableSpec table) {
    return tenants.stream()
        .filter(c -> c.tables().contains(table))
        .map(TenantCatalog::tenantId)
        .findFirst()
        .orElse("(target)");
  }

  static String describe(ColumnSpec column) {
    return column.enumType() != null
        ? "enum " + column.enumType() + (column.array() ? "[]" : "")
        : column.type();
  }

  /**
   * The planned labels of every enum type: the union of what the target and the tenants have, each
   * label after the one that precedes it where it was seen, so the source order is kept where the
   * orders agree ({@link #enumConflicts} refuses tenants whose orders disagree).
   */
  private static void mergeEnums(Map<String, EnumSpec> into, Map<String, EnumSpec> from) {
    for (EnumSpec e : from.values()) {
      EnumSpec existing = into.get(e.name());
      into.put(
          e.name(),
          existing == null ? e : new EnumSpec(e.name(), unite(existing.labels(), e.labels())));
    }
  }

  /**
   * {@code base} with the labels of {@code more} it lacks, each placed right after its predecessor
   * in {@code more}.
   */
  static List<String> unite(List<String> base, List<String> more) {
    List<String> out = new ArrayList<>(base);
    String previous = null;
    for (String label : more) {
      if (!out.contains(label)) {
        out.add(previous == null ? 0 : out.indexOf(previous) + 1, label);
      }
      previous = label;
    }
    return out;
  }

  /**
   * A tenant whose enum type (same schema and name) has other labels than the tenants before it is
   * kept out with the labels of both, unless the type is listed in {@code tenantfold.enum-union};
   * then the labels unite, but only when their orders agree (a label's order is its meaning for
   * {@code <} and {@code ORDER BY}).
   */
  private static List<PlanError> enumConflicts(
      Map<String, Map<String, List<String>>> holders,
      TenantCatalog tenant,
      List<TableSpec> tables,
      RulesConfig rules) {
    List<PlanError> errors = new ArrayList<>();
    for (EnumSpec e : tenant.enums().values()) {
      Map<String, List<String>> before = holders.getOrDefault(e.name(), Map.of());
      String table =
          tables.stream()
              .filter(t -> t.columns().stream().anyMatch(c -> e.name().equals(c.enumType())))
              .map(TableSpec::key)
              .findFirst()
              .orElse(null);
      for (var other : before.entrySet()) {
        if (other.getValue().equals(e.labels())) {
          continue;
        }
        String both =
            "tenant "
                + tenant.tenantId()
                + " has labels "
                + e.labels()
                + ", tenant "
                + other.getKey()
                + " has "
                + other.getValue();
        if (!rules.enumUnion().contains(e.name())) {
          errors.add(
              new PlanError(
                  tenant.tenantId(),
                  table,
                  null,
                  "Cannot conform tenant "
                      + tenant.tenantId()
                      + ": enum type "
                      + e.name()
                      + " differs between tenants ("
                      + both
                      + "); list it in "
                      + TenantfoldConfig.ENUM_UNION.path()
                      + " = ["
                      + e.name()
                      + "] to unite the labels in source"
                      + " order, or align the sources"));
          break;
        }
        List<String> united = unite(other.getValue(), e.labels());
        if (!inOrder(united, e.labels()) || !inOrder(united, other.getValue())) {
          errors.add(
              new PlanError(
                  tenant.tenantId(),
                  table,
                  null,
                  "Cannot conform tenant "
                      + tenant.tenantId()
                      + ": enum type "
                      + e.name()
                      + " orders its labels differently in two tenants ("
                      + both
                      + "), so no union keeps both orders; align the sources"));
          break;
        }
      }
    }
    return errors;
  }

  private static boolean inOrder(List<String> united, List<String> labels) {
    int last = -1;
    for (String label : labels) {
      int at = united.indexOf(label);
      if (at < last) {
        return false;
      }
      last = at;
    }
    return true;
  }

  /**
   * One planned column: its widened type so far, where it came from, and every tenant's own type.
   */
  private static final class DraftColumn {
    ColumnSpec spec;
    final ColumnSpec targetSpec;
    final Map<String, ColumnSpec> byTenant = new LinkedHashMap<>();

    DraftColumn(ColumnSpec spec, boolean inTarget) {
      this.spec = spec;
      this.targetSpec = inTarget ? spec : null;
    }

    /**
     * The planned column with its default: the existing target's, else the first tenant's that has
     * one (a sequence-backed column in any tenant stays sequence-backed in the target).
     */
    ColumnSpec defaulted() {
      List<ColumnSpec> holders = new ArrayList<>();
      if (targetSpec != null) {
        holders.add(targetSpec);
      }
      holders.addAll(byTenant.values());
      boolean bySequence = holders.stream().anyMatch(ColumnSpec::generatedBySequence);
      String expression =
          bySequence
              ? null
              : holders.stream()
                  .map(ColumnSpec::defaultExpression)
                  .filter(e -> e != null)
                  .findFirst()
                  .orElse(null);
      // Generated only when every holder generates it the same way (the target table's own
      // definition decides once it exists).
      String generated =
          targetSpec != null
              ? targetSpec.generatedExpression()
              : holders.stream().map(ColumnSpec::generatedExpression).distinct().count() == 1
                  ? holders.get(0).generatedExpression()
                  : null;
      // A domain only when every holder declares the column with it (over the planned type:
      // widening drops it).
      String domain =
          spec.domain() != null && holders.stream().allMatch(h -> spec.domain().equals(h.domain()))
              ? spec.domain()
              : null;
      return new ColumnSpec(
          spec.name(),
          spec.type(),
          spec.notNull(),
          spec.enumType(),
          spec.array(),
          generated == null ? expression : null,
          generated == null && bySequence,
          generated,
          domain);
    }

    /**
     * Who gave the column its planned type, for messages: "tenant a has", "the existing target
     * table and tenants a, b have".
     */
    String holders() {
      List<String> tenants = List.copyOf(byTenant.keySet());
      String who =
          tenants.isEmpty()
              ? ""
              : (tenants.size() == 1 ? "tenant " : "tenants ") + String.join(", ", tenants);
      if (targetSpec != null) {
        return TARGET + (who.isEmpty() ? " has" : " and " + who + " have");
      }
      return who + (tenants.size() == 1 ? " has" : " have");
    }

    /** The column widened to also hold {@code other}'s values; empty when they do not widen. */
    Optional<ColumnSpec> widenedWith(ColumnSpec other) {
      if (spec.enumType() != null || other.enumType() != null) {
        boolean same =
            spec.enumType() != null
                && spec.enumType().equals(other.enumType())
                && spec.array() == other.array();
        return same ? Optional.of(spec) : Optional.empty();
      }
      return TypeLattice.widen(spec.type(), other.type())
          .map(t -> spec.retyped(t, spec.notNull(), null, t.endsWith("[]")));
    }
  }

  private static final class Draft {
    final String name;
    final LinkedHashMap<String, DraftColumn> columns = new LinkedHashMap<>();
    final List<String> primaryKey;
    final String origin;
    final boolean inTarget;
    final Set<String> tenants = new LinkedHashSet<>();

    private Draft(String name, List<String> primaryKey, String origin, boolean inTarget) {
      this.name = name;
      this.primaryKey = List.copyOf(primaryKey);
      this.origin = origin;
      this.inTarget = inTarget;
    }

    static Draft ofTarget(String name, List<ColumnSpec> columns, List<String> primaryKey) {
      Draft d = new Draft(name, primaryKey, TARGET, true);
      columns.forEach(c -> d.columns.put(c.name(), new DraftColumn(c, true)));
      return d;
    }

    static Draft ofTenant(String name, List<String> primaryKey, String tenantId) {
      return new Draft(name, primaryKey, "tenant " + tenantId, false);
    }

    void absorb(String tenantId, TableSpec table, TableRule rule) {
      tenants.add(tenantId);
      for (ColumnSpec c : table.columns()) {
        DraftColumn planned = columns.get(c.name());
        if (planned == null) {
          planned = new DraftColumn(c, false);
          columns.put(c.name(), planned);
        } else if (rule.column(c.name()).flatMap(ColumnRule::cast).isEmpty()) {
          planned.spec = planned.widenedWith(c).orElseThrow();
        }
        planned.byTenant.put(tenantId, c);
      }
    }

    /**
     * Whether no tenant loads NULL into the column: each has it NOT NULL, or lacks it and the
     * rule's default fills it.
     */
    boolean everyTenantNotNull(DraftColumn c, TableRule rule) {
      boolean defaulted = rule.column(c.spec.name()).flatMap(ColumnRule::defaultValue).isPresent();
      return !c.byTenant.isEmpty()
          && tenants.stream()
              .allMatch(t -> c.byTenant.containsKey(t) ? c.byTenant.get(t).notNull() : defaulted);
    }

    TargetTable build(TableRule rule) {
      List<ColumnSpec> built = new ArrayList<>();
      for (DraftColumn c : columns.values()) {
        Optional<String> cast = rule.column(c.spec.name()).flatMap(ColumnRule::cast);
        String type = cast.orElse(c.spec.type());
        boolean enumColumn = cast.isEmpty() && c.spec.enumType() != null;
        // NOT NULL holds only where every tenant guarantees it (a cast keeps NULL as NULL); an
        // existing nullable target column stays nullable.
        boolean notNull =
            primaryKey.contains(c.spec.name())
                || (everyTenantNotNull(c, rule)
                    && (c.targetSpec == null || c.targetSpec.notNull()));
        built.add(
            c.defaulted()
                .retyped(
                    type,
                    notNull,
                    enumColumn ? c.spec.enumType() : null,
                    enumColumn ? c.spec.array() : type.endsWith("[]")));
      }
      return new TargetTable(name, built, primaryKey);
    }

    List<Drift> drift(List<String> accepted, TableRule rule) {
      List<Drift> out = new ArrayList<>();
      List<String> lacking = accepted.stream().filter(t -> !tenants.contains(t)).toList();
      if (!lacking.isEmpty()) {
        out.add(
            new Drift(
                name,
                null,
                Drift.Kind.TABLE_IN_SOME,
                "only in " + List.copyOf(tenants) + "; " + lacking + " have no such table"));
      }
      TargetTable built = build(rule);
      for (DraftColumn c : columns.values()) {
        String column = c.spec.name();
        ColumnSpec planned = built.column(column).orElseThrow();
        List<String> without = tenants.stream().filter(t -> !c.byTenant.containsKey(t)).toList();
        if (!without.isEmpty()) {
          String fill =
              rule.column(column)
                  .flatMap(ColumnRule::defaultValue)
                  .map(v -> "the default '" + v + "'")
                  .orElse("NULL");
          out.add(
              new Drift(
                  name,
                  column,
                  Drift.Kind.COLUMN_IN_SOME,
                  "in "
                      + List.copyOf(c.byTenant.keySet())
                      + (c.targetSpec != null ? " and the target" : "")
                      + ", missing in "
                      + without
                      + ": they load "
                      + fill));
        }
        Map<String, List<String>> tenantsByType = new LinkedHashMap<>();
        c.byTenant.forEach(
            (tenant, spec) ->
                tenantsByType.computeIfAbsent(describe(spec), k -> new ArrayList<>()).add(tenant));
        String plannedType = describe(planned);
        if (tenantsByType.size() > 1
            || (tenantsByType.size() == 1 && !tenantsByType.containsKey(plannedType))) {
          String types =
              tenantsByType.entrySet().stream()
                  .map(e -> e.getKey() + " in " + e.getValue())
                  .collect(Collectors.joining(", "));
          boolean cast = rule.column(column).flatMap(ColumnRule::cast).isPresent();
          out.add(
              new Drift(
                  name,
                  column,
                  Drift.Kind.TYPE_WIDENED,
                  types + (cast ? ": cast to " : ": widened to ") + plannedType));
        }
        if (c.targetSpec != null && !describe(c.targetSpec).equals(plannedType)) {
          out.add(
              new Drift(
                  name,
                  column,
                  Drift.Kind.TARGET_WIDENED,
                  "target column is " + describe(c.targetSpec) + ": altered to " + plannedType));
        }
      }
      for (ColumnRule column : rule.columns().values()) {
        String what =
            column.exclude()
                ? "excluded (not loaded)"
                : column
                        .cast()
                        .map(t -> "cast to " + t + " (rows that do not cast are rejected)")
                        .orElse("")
                    + column
                        .defaultValue()
                        .map(
                            v ->
                                (column.cast().isPresent() ? "; " : "")
                                    + "default '"
                                    + v
                                    + "' where a tenant lacks it")
                        .orElse("");
        out.add(new Drift(name, column.column(), Drift.Kind.RULE, what));
      }
      rule.dedup()
          .ifPresent(
              d ->
                  out.add(
                      new Drift(
                          name,
                          null,
                          Drift.Kind.RULE,
                          d.exact()
                              ? "deduplicated: identical rows collapse to one"
                              : "deduplicated: one row per "
                                  + d.key()
                                  + (d.keep().isEmpty()
                                      ? ""
                                      : ", keeping the first by "
                                          + d.keep().stream()
                                              .map(
                                                  k -> k.column() + (k.descending() ? " desc" : ""))
                                              .toList())
                                  + ", ties by the row's text")));
      rule.shared()
          .ifPresent(
              sh ->
                  out.add(
                      new Drift(
                          name,
                          null,
                          Drift.Kind.RULE,
                          "shared: one copy for every tenant, without the tenant"
                              + " column, keyed by "
                              + primaryKey
                              + "; rows that differ for one key: on-conflict = "
                              + sh.describe())));
      if (rule.maxRejectedRows() > 0) {
        out.add(
            new Drift(
                name,
                null,
                Drift.Kind.RULE,
                "up to "
                    + rule.maxRejectedRows()
                    + " rejected rows per tenant before the tenant fails"));
      }
      return out;
    }
  }
}
