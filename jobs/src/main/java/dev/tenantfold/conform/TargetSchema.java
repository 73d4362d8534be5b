package dev.tenantfold.conform;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.ForeignKeySpec;
import dev.tenantfold.extract.TableObjects;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The plan: the one schema every tenant conforms to, the rules each table's rows go through, what
 * drifted between the tenants and how it was reconciled, and the errors that keep tenants out (a
 * tenant whose column cannot widen to the others' fails alone, with the reason, instead of failing
 * all).
 */
public record TargetSchema(
    SortedMap<String, TargetTable> tables,
    Map<String, EnumSpec> enums,
    RulesConfig rules,
    List<Drift> drift,
    List<PlanError> errors,
    Map<String, TableObjects> objects,
    CodePlan code) {
  public TargetSchema {
    tables = new TreeMap<>(tables);
    enums = Map.copyOf(enums);
    drift = List.copyOf(drift);
    errors = List.copyOf(errors);
    objects = Map.copyOf(objects);
  }

  public TargetSchema(
      SortedMap<String, TargetTable> tables,
      Map<String, EnumSpec> enums,
      RulesConfig rules,
      List<Drift> drift,
      List<PlanError> errors,
      Map<String, TableObjects> objects) {
    this(tables, enums, rules, drift, errors, objects, CodePlan.none());
  }

  public TargetSchema(
      SortedMap<String, TargetTable> tables,
      Map<String, EnumSpec> enums,
      RulesConfig rules,
      List<Drift> drift,
      List<PlanError> errors) {
    this(tables, enums, rules, drift, errors, Map.of());
  }

  /**
   * The unique constraints, indexes and CHECK constraints of each table, as the tenants have them.
   */
  public TargetSchema withObjects(Map<String, TableObjects> tableObjects) {
    return new TargetSchema(tables, enums, rules, drift, errors, tableObjects, code);
  }

  /** The functions, triggers and views of each tenant, and where they are recreated. */
  public TargetSchema withCode(CodePlan tenantCode) {
    return new TargetSchema(tables, enums, rules, drift, errors, objects, tenantCode);
  }

  public TableObjects objects(String table) {
    return objects.getOrDefault(table, TableObjects.none());
  }

  /**
   * The foreign keys the target can enforce tenant-aware: both tables consolidated, not
   * self-referencing, not in a cycle (a publish attaches referenced tables first), and referencing
   * the referenced table's primary key or one of its unique constraints.
   */
  public List<ForeignKeySpec> foreignKeys(String table) {
    Set<String> ordered = orderable();
    return objects(table).foreignKeys().stream()
        .filter(
            k ->
                tables.containsKey(k.referencedTable())
                    && !k.referencedTable().equals(table)
                    && ordered.contains(table)
                    && ordered.contains(k.referencedTable()))
        .filter(k -> referencesUniqueKey(k))
        .toList();
  }

  private boolean referencesUniqueKey(ForeignKeySpec key) {
    TargetTable referenced = tables.get(key.referencedTable());
    Set<String> columns = new HashSet<>(key.referencedColumns());
    if (new HashSet<>(referenced.primaryKey()).equals(columns)) {
      return true;
    }
    return objects(key.referencedTable()).indexes().stream()
        .anyMatch(
            i ->
                i.unique()
                    && i.predicate() == null
                    && i.include().isEmpty()
                    && new HashSet<>(i.keys()).equals(columns));
  }

  /**
   * Tables in the order a publish attaches them: every table after the tables it references, then
   * the tables caught in reference cycles (whose foreign keys are not enforced), by name.
   */
  public List<String> publishOrder() {
    List<String> order = new ArrayList<>();
    Set<String> remaining = new TreeSet<>(tables.keySet());
    boolean progressed = true;
    while (progressed) {
      progressed = false;
      for (String table : List.copyOf(remaining)) {
        boolean ready =
            objects(table).foreignKeys().stream()
                .map(ForeignKeySpec::referencedTable)
                .filter(r -> !r.equals(table) && tables.containsKey(r))
                .allMatch(r -> !remaining.contains(r));
        if (ready) {
          order.add(table);
          remaining.remove(table);
          progressed = true;
        }
      }
    }
    return order;
  }

  /** Tables whose references form a cycle: consolidated, without their foreign keys. */
  public Set<String> inReferenceCycles() {
    Set<String> cyclic = new TreeSet<>(tables.keySet());
    cyclic.removeAll(orderable());
    return cyclic;
  }

  /**
   * The tables {@link #publishOrder} holds, found in one pass over the references (Kahn's
   * algorithm: a table is placed once every table it references is): linear in tables and keys,
   * where asking {@link #publishOrder} per table cost a pass per level of the reference graph, per
   * table.
   */
  private Set<String> orderable() {
    Map<String, Set<String>> dependents = new LinkedHashMap<>();
    Map<String, Integer> waitingFor = new LinkedHashMap<>();
    List<String> ready = new ArrayList<>();
    for (String table : tables.keySet()) {
      Set<String> referenced = new HashSet<>();
      for (ForeignKeySpec key : objects(table).foreignKeys()) {
        String r = key.referencedTable();
        if (!r.equals(table) && tables.containsKey(r) && referenced.add(r)) {
          dependents.computeIfAbsent(r, k -> new HashSet<>()).add(table);
        }
      }
      waitingFor.put(table, referenced.size());
      if (referenced.isEmpty()) {
        ready.add(table);
      }
    }
    Set<String> placed = new HashSet<>();
    for (int i = 0; i < ready.size(); i++) {
      String table = ready.get(i);
      placed.add(table);
      for (String dependent : dependents.getOrDefault(table, Set.of())) {
        if (waitingFor.merge(dependent, -1, Integer::sum) == 0) {
          ready.add(dependent);
        }
      }
    }
    return placed;
  }

  /** A schema without rules, drift or errors (tests, and tables built by hand). */
  public TargetSchema(
      SortedMap<String, TargetTable> tables,
      Map<String, EnumSpec> enums,
      Map<String, String> rejectedTenants) {
    this(
        tables,
        enums,
        RulesConfig.none(),
        List.of(),
        rejectedTenants.entrySet().stream()
            .map(e -> PlanError.tenant(e.getKey(), e.getValue()))
            .toList());
  }

  public Optional<TargetTable> table(String name) {
    return Optional.ofNullable(tables.get(name));
  }

  /** Per tenant that cannot conform, the first reason (in plan order). */
  public Map<String, String> rejectedTenants() {
    Map<String, String> rejected = new LinkedHashMap<>();
    errors.forEach(e -> rejected.putIfAbsent(e.tenantId(), e.message()));
    return rejected;
  }

  public boolean hasErrors() {
    return !errors.isEmpty();
  }

  /** The rule of {@code table} (one that changes nothing when none is configured). */
  public RulesConfig.TableRule rule(String table) {
    return rules.forTable(table);
  }

  /** This schema without {@code tableNames} (tables the target could not create). */
  public TargetSchema without(Collection<String> tableNames) {
    SortedMap<String, TargetTable> kept = new TreeMap<>(tables);
    tableNames.forEach(kept::remove);
    return new TargetSchema(kept, enums, rules, drift, errors, objects, code);
  }

  /**
   * One difference between tenants and how the plan resolves it.
   *
   * @param table the consolidated table
   * @param column the column, or null for the table as a whole
   * @param kind what differs
   * @param detail a sentence a reviewer reads, e.g. "integer in [a], bigint in [b]: bigint"
   */
  public record Drift(String table, String column, Kind kind, String detail) {
    /** What differs. */
    public enum Kind {
      /** The table exists only in some tenants; the others contribute no rows. */
      TABLE_IN_SOME,
      /** The column exists only in some tenants; the others load NULL or the rule's default. */
      COLUMN_IN_SOME,
      /** The column's types differ; every tenant's values are widened to one type. */
      TYPE_WIDENED,
      /** An existing target column is widened (ALTER ... TYPE) to hold the tenants' values. */
      TARGET_WIDENED,
      /** A rule applies (cast, exclude, default, dedup, reject threshold). */
      RULE
    }
  }

  /**
   * Why a tenant cannot conform: names the tenant, table, column and both types where they apply.
   *
   * @param tenantId the tenant that is kept out
   * @param table the table, or null
   * @param column the column, or null
   * @param message the whole sentence, with what to do
   */
  public record PlanError(String tenantId, String table, String column, String message) {
    static PlanError tenant(String tenantId, String message) {
      return new PlanError(tenantId, null, null, message);
    }
  }
}
