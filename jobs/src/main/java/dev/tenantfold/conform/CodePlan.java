package dev.tenantfold.conform;

import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.extract.CodeObjects.DomainSpec;
import dev.tenantfold.extract.CodeObjects.FunctionSpec;
import dev.tenantfold.extract.CodeObjects.TriggerSpec;
import dev.tenantfold.extract.CodeObjects.ViewSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What becomes of each tenant's functions, triggers and views: which are recreated where, and which
 * are not and why. Nothing is dropped silently: every object read from a tenant is one entry,
 * listed in the plan and the report.
 *
 * <p>Row triggers on consolidated tables are recreated per tenant on the tenant's own partition,
 * each tenant's own definition, with the function they execute in the tenant's own schema, run as
 * the tenant's role (docs/security.md): a trigger of one tenant never fires for another tenant's
 * rows, and its code never reaches another tenant's rows. Definitions were read under the tenants'
 * schemas as the search path ({@code searchPath}: every tenant's schemas, config order), which the
 * target replays mapped. Views and other functions read tables by name; rewriting their SQL
 * tenant-aware is not exact in general, so they are recreated per tenant inside the tenant's
 * compatibility schema (where those names resolve to views of the tenant's rows only) when {@code
 * target.compat-schemas} is on, and listed as not recreated otherwise. A view of schema {@code
 * sales} goes into the compatibility schema of {@code sales}, its schema qualifiers rewritten to
 * the tenant's compatibility schemas ({@link CompatViewSql}); one whose qualifiers cannot be
 * rewritten exactly is not recreated.
 */
public record CodePlan(
    Map<String, CodeObjects> tenants, boolean compatSchemas, List<String> searchPath) {
  /** The schema of a tenant's own code is its role's name: this prefix and the tenant id. */
  public static final String TENANT_ROLE_PREFIX = "tenantfold_tenant_";

  public CodePlan {
    tenants = Collections.unmodifiableMap(new LinkedHashMap<>(tenants));
    searchPath = List.copyOf(searchPath);
  }

  /** No code read (export tenants only, or tests). */
  public static CodePlan none() {
    return new CodePlan(Map.of(), false, List.of("public"));
  }

  /**
   * The code of {@code tenantId}'s schemas (none for a tenant whose code was not read, such as an
   * export).
   */
  public CodeObjects tenant(String tenantId) {
    return tenants.getOrDefault(tenantId, CodeObjects.none());
  }

  /** One object and its outcome. */
  public record Entry(
      String kind, String name, List<String> tenants, Outcome outcome, String detail) {
    public Entry {
      tenants = List.copyOf(tenants);
    }

    public boolean recreated() {
      return outcome != Outcome.NOT_RECREATED;
    }
  }

  /** Where an object is recreated. */
  public enum Outcome {
    /**
     * One definition for every tenant's rows of the consolidated tables: domains and composite
     * types in the target schema, and the functions column defaults call (the first tenant's
     * definition, in its own schema, run as its role).
     */
    CONSOLIDATED,
    /** In each tenant's compatibility schema. */
    COMPAT_SCHEMAS,
    /**
     * On each tenant's own partition (triggers), or in the tenant's own schema (the functions they
     * execute), run as the tenant's role.
     */
    TENANT_PARTITION,
    NOT_RECREATED
  }

  /**
   * A tenant's triggers to recreate on its partition of a table, and the functions they execute.
   */
  public record TableTriggers(List<TriggerSpec> triggers, List<FunctionSpec> functions) {
    public TableTriggers {
      triggers = List.copyOf(triggers);
      functions = List.copyOf(functions);
    }
  }

  /**
   * Every tenant's triggers of {@code table} (names only, any tenant): the triggers an earlier
   * version recreated on the consolidated table itself, which the target drops.
   */
  public Set<String> triggerNames(String table) {
    Set<String> names = new java.util.TreeSet<>();
    tenants
        .values()
        .forEach(
            c ->
                c.triggers().stream()
                    .filter(t -> t.table().equals(table))
                    .forEach(t -> names.add(t.name())));
    return names;
  }

  /**
   * The triggers of {@code tenantId} on {@code table} that are recreated on its partition, with the
   * functions they execute (see {@link #triggerVerdict}).
   */
  public TableTriggers triggers(TargetSchema plan, String table, String tenantId) {
    List<TriggerSpec> triggers = new ArrayList<>();
    List<FunctionSpec> functions = new ArrayList<>();
    CodeObjects code = tenant(tenantId);
    for (TriggerSpec trigger : code.triggers()) {
      if (!trigger.table().equals(table) || triggerVerdict(plan, code, trigger).isPresent()) {
        continue;
      }
      triggers.add(trigger);
      Optional<FunctionSpec> function = code.function(trigger.function());
      if (!trigger.builtInFunction()
          && functions.stream().noneMatch(f -> f.signature().equals(trigger.function()))) {
        functions.add(function.orElseThrow());
      }
    }
    return new TableTriggers(triggers, functions);
  }

  /**
   * Why {@code trigger} of a tenant whose code is {@code code} is not recreated; empty if it is.
   */
  private static Optional<String> triggerVerdict(
      TargetSchema plan, CodeObjects code, TriggerSpec trigger) {
    if (plan.table(trigger.table()).isEmpty()) {
      return Optional.of("its table " + trigger.table() + " is not consolidated");
    }
    if (plan.rule(trigger.table()).shared().isPresent()) {
      return Optional.of(
          "table "
              + trigger.table()
              + " is shared: tenants' rows are merged into it by key, and a trigger would"
              + " change them during the merge");
    }
    if (!trigger.rowLevel()) {
      return Optional.of(
          "a statement-level trigger fires for the table a statement names: on the consolidated"
              + " table that is every tenant's statements, and on the tenant's partition none"
              + " written through the consolidated table; recreate it by hand");
    }
    if (trigger.transitionTables()) {
      return Optional.of(
          "it declares transition tables (REFERENCING), which PostgreSQL refuses on a partition;"
              + " recreate it by hand");
    }
    if (!trigger.builtInFunction() && code.function(trigger.function()).isEmpty()) {
      return Optional.of(
          "it executes "
              + trigger.function()
              + ", which is not a function of the tenant's schemas; recreate it by hand");
    }
    return Optional.empty();
  }

  /**
   * The functions the planned column defaults of {@code table} call, from the first tenant (config
   * order) whose default calls them: created in that tenant's own schema, run as its role.
   */
  public List<FunctionSpec> defaultFunctions(TargetSchema plan, String table) {
    return defaultCode(plan, table).stream().map(DefaultCode::function).toList();
  }

  /**
   * A function a column default calls, and the tenant whose definition is recreated (in its own
   * schema {@code tenantfold_tenant_<id>}, {@code SECURITY DEFINER} as its role): the first tenant
   * (config order) whose default calls it.
   */
  public record DefaultCode(String tenantId, FunctionSpec function) {}

  /** {@link #defaultFunctions} with the tenant whose definition each is. */
  public List<DefaultCode> defaultCode(TargetSchema plan, String table) {
    List<DefaultCode> functions = new ArrayList<>();
    Optional<TargetTable> planned = plan.table(table);
    if (planned.isEmpty()) {
      return functions;
    }
    for (var tenant : tenants.entrySet()) {
      CodeObjects code = tenant.getValue();
      for (CodeObjects.DefaultCall call : code.defaultCalls()) {
        boolean used =
            call.table().equals(table)
                && planned
                    .get()
                    .column(call.column())
                    .map(c -> c.defaultExpression() != null)
                    .orElse(false);
        Optional<FunctionSpec> function = code.function(call.function());
        if (used
            && function.isPresent()
            && functions.stream()
                .noneMatch(f -> f.function().signature().equals(call.function()))) {
          functions.add(new DefaultCode(tenant.getKey(), function.get()));
        }
      }
    }
    return functions;
  }

  /** The tenants whose definitions of default functions are recreated: they need their roles. */
  public Set<String> defaultCodeTenants(TargetSchema plan) {
    Set<String> out = new LinkedHashSet<>();
    plan.tables().keySet().forEach(t -> defaultCode(plan, t).forEach(d -> out.add(d.tenantId())));
    return out;
  }

  /**
   * Every extension some tenant has installed, each once, in config order: the target creates them
   * before defaults and triggers.
   */
  public List<String> extensions() {
    return tenants.values().stream().flatMap(c -> c.extensions().stream()).distinct().toList();
  }

  /**
   * The definition of the composite type keyed {@code name}: the first tenant's (config order) that
   * has it.
   */
  public Optional<CodeObjects.CompositeSpec> composite(String name) {
    return tenants.values().stream()
        .flatMap(c -> c.composites().stream())
        .filter(t -> t.name().equals(name))
        .findFirst();
  }

  /**
   * The definition of the domain keyed {@code name}: the first tenant's (config order) that has it.
   */
  public Optional<DomainSpec> domain(String name) {
    return tenants.values().stream()
        .flatMap(c -> c.domains().stream())
        .filter(d -> d.name().equals(name))
        .findFirst();
  }

  /** Every object of every tenant, grouped by kind and name, with its outcome. */
  public List<Entry> entries(TargetSchema plan) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    Set<String> triggerFunctions = new LinkedHashSet<>();
    for (var tenant : tenants.entrySet()) {
      CodeObjects code = tenant.getValue();
      for (TriggerSpec trigger : code.triggers()) {
        Optional<String> refused = triggerVerdict(plan, code, trigger);
        Entry entry;
        if (refused.isPresent()) {
          entry = notRecreated("trigger", trigger, tenant.getKey(), refused.get());
        } else {
          if (!trigger.builtInFunction()) {
            triggerFunctions.add(trigger.function());
          }
          entry =
              new Entry(
                  "trigger",
                  trigger.table() + "." + trigger.name(),
                  List.of(tenant.getKey()),
                  Outcome.TENANT_PARTITION,
                  "on each tenant's own partition of "
                      + trigger.table()
                      + " (its own definition), executing "
                      + (trigger.builtInFunction()
                          ? "the built-in " + trigger.function()
                          : trigger.function() + " as the tenant's role"));
        }
        add(entries, entry);
      }
    }
    Set<String> defaultFunctions = new LinkedHashSet<>();
    plan.tables()
        .keySet()
        .forEach(t -> defaultFunctions(plan, t).forEach(f -> defaultFunctions.add(f.signature())));
    for (var tenant : tenants.entrySet()) {
      for (FunctionSpec function : tenant.getValue().functions()) {
        Entry entry;
        if (function.definition() == null) {
          entry =
              new Entry(
                  function.kind(),
                  function.signature(),
                  List.of(tenant.getKey()),
                  Outcome.NOT_RECREATED,
                  "a "
                      + function.kind()
                      + " (or a moving or ordered-set aggregate) is not recreated; recreate it by"
                      + " hand");
        } else if (defaultFunctions.contains(function.signature())) {
          entry =
              new Entry(
                  function.kind(),
                  function.signature(),
                  List.of(tenant.getKey()),
                  Outcome.CONSOLIDATED,
                  "for the column defaults that call it: the first tenant's definition (config"
                      + " order) in its own schema "
                      + TENANT_ROLE_PREFIX
                      + "<tenant>, SECURITY DEFINER as that tenant's role, so it reaches that"
                      + " tenant's rows only"
                      + (compatSchemas
                          ? "; in each tenant's compatibility schema its own definition, which its"
                              + " views' defaults call"
                          : ""));
        } else if (triggerFunctions.contains(function.signature())) {
          entry =
              new Entry(
                  function.kind(),
                  function.signature(),
                  List.of(tenant.getKey()),
                  Outcome.TENANT_PARTITION,
                  "in each tenant's own schema "
                      + TENANT_ROLE_PREFIX
                      + "<tenant>, for its triggers, SECURITY DEFINER as the tenant's role"
                      + (compatSchemas ? ", and in each tenant's compatibility schema" : ""));
        } else {
          entry = perTenant(function.kind(), function.signature(), tenant.getKey(), compatSchemas);
        }
        add(entries, entry);
      }
      for (DomainSpec domain : tenant.getValue().domains()) {
        Set<String> usedBy = new java.util.TreeSet<>();
        plan.tables()
            .values()
            .forEach(
                t ->
                    t.columns().stream()
                        .filter(c -> domain.name().equals(c.domainKey()))
                        .forEach(c -> usedBy.add(t.name() + "." + c.name())));
        add(
            entries,
            usedBy.isEmpty()
                ? new Entry(
                    "domain",
                    domain.name(),
                    List.of(tenant.getKey()),
                    Outcome.NOT_RECREATED,
                    "no consolidated column keeps it (a column of it in every tenant that has the"
                        + " column, over the planned type); such columns load as "
                        + domain.baseType())
                : new Entry(
                    "domain",
                    domain.name(),
                    List.of(tenant.getKey()),
                    Outcome.CONSOLIDATED,
                    "in the target schema, with its checks,"
                        + " for "
                        + String.join(", ", usedBy)));
      }
      for (CodeObjects.CompositeSpec type : tenant.getValue().composites()) {
        Set<String> usedBy = new java.util.TreeSet<>();
        plan.tables()
            .values()
            .forEach(
                t ->
                    t.columns().stream()
                        .filter(c -> type.name().equals(c.domainKey()))
                        .forEach(c -> usedBy.add(t.name() + "." + c.name())));
        add(
            entries,
            usedBy.isEmpty()
                ? new Entry(
                    "composite type",
                    type.name(),
                    List.of(tenant.getKey()),
                    Outcome.NOT_RECREATED,
                    "no consolidated column keeps it"
                        + " (the tenants declare the column with different types)")
                : new Entry(
                    "composite type",
                    type.name(),
                    List.of(tenant.getKey()),
                    Outcome.CONSOLIDATED,
                    "in the target schema of its own"
                        + " schema, for "
                        + String.join(", ", usedBy)));
      }
      Map<String, Set<String>> mirrored =
          CompatViewSql.mirroredNames(
              plan, tenant.getValue(), CompatViewSql.sourceSchemas(plan, tenant.getValue()));
      for (ViewSpec view : tenant.getValue().views()) {
        String name = dev.tenantfold.config.SchemaMap.key(view.schema(), view.name());
        // The verdict only: the load names the compatibility schemas, and sends qualifiers of types
        // where the schema-map does.
        CompatViewSql.Rewrite rewrite =
            CompatViewSql.rewrite(
                view.definition(), mirrored, s -> "compatibility schema of " + s, s -> s);
        add(
            entries,
            !compatSchemas || rewrite.exact()
                ? perTenant(view.kind(), name, tenant.getKey(), compatSchemas)
                : new Entry(
                    view.kind(),
                    name,
                    List.of(tenant.getKey()),
                    Outcome.NOT_RECREATED,
                    rewrite.problem()));
      }
    }
    // One definition serves every tenant in the target schema: say so when the tenants' definitions
    // differ.
    entries.replaceAll(
        (key, entry) -> entry.outcome() != Outcome.CONSOLIDATED ? entry : differing(entry));
    return List.copyOf(entries.values());
  }

  /**
   * The entry with a note naming the tenants whose definition differs from the first tenant's,
   * which is the one recreated.
   */
  private Entry differing(Entry entry) {
    Map<String, String> definitions = new LinkedHashMap<>();
    for (String tenant : entry.tenants()) {
      CodeObjects code = tenant(tenant);
      Optional<String> definition =
          switch (entry.kind()) {
            case "trigger" ->
                code.triggers().stream()
                    .filter(t -> (t.table() + "." + t.name()).equals(entry.name()))
                    .map(TriggerSpec::definition)
                    .findFirst();
            case "domain" ->
                code.domains().stream()
                    .filter(d -> d.name().equals(entry.name()))
                    .map(d -> d.createSql(d.name()))
                    .findFirst();
            case "composite type" ->
                code.composites().stream()
                    .filter(t -> t.name().equals(entry.name()))
                    .map(t -> t.createSql(t.name(), UnaryOperator.identity()))
                    .findFirst();
            default ->
                code.functions().stream()
                    .filter(f -> f.signature().equals(entry.name()))
                    .map(FunctionSpec::definition)
                    .findFirst();
          };
      definition.ifPresent(d -> definitions.put(tenant, d));
    }
    if (definitions.values().stream().distinct().count() <= 1) {
      return entry;
    }
    String first = definitions.keySet().iterator().next();
    List<String> others =
        definitions.entrySet().stream()
            .filter(e -> !e.getValue().equals(definitions.get(first)))
            .map(Map.Entry::getKey)
            .toList();
    return new Entry(
        entry.kind(),
        entry.name(),
        entry.tenants(),
        entry.outcome(),
        entry.detail()
            + "; the definitions differ: tenant "
            + first
            + "'s is recreated, not that of "
            + String.join(", ", others));
  }

  /** The entries no tenant gets recreated. */
  public List<Entry> notRecreated(TargetSchema plan) {
    return entries(plan).stream().filter(e -> !e.recreated()).toList();
  }

  private static Entry perTenant(String kind, String name, String tenant, boolean compatSchemas) {
    return compatSchemas
        ? new Entry(
            kind,
            name,
            List.of(tenant),
            Outcome.COMPAT_SCHEMAS,
            "in each tenant's compatibility schema"
                + (kind.endsWith("view") ? "" : ", run as the tenant's role (SECURITY DEFINER)")
                + (kind.endsWith("view") && name.contains(".")
                    ? " for source schema "
                        + name.substring(0, name.indexOf('.'))
                        + " (<prefix><tenant>_"
                        + name.substring(0, name.indexOf('.'))
                        + ")"
                    : "")
                + ", over that tenant's rows"
                + (kind.endsWith("view")
                    ? "; in the target schema as the union of every tenant's, tenant column first"
                    : ""))
        : new Entry(
            kind,
            name,
            List.of(tenant),
            Outcome.NOT_RECREATED,
            "it reads tables by name, and a tenant-aware rewrite of its SQL is not exact in"
                + " general; set "
                + TargetConfig.COMPAT_SCHEMAS.path()
                + " = true to recreate it in each"
                + " tenant's compatibility schema");
  }

  private static Entry notRecreated(String kind, TriggerSpec trigger, String tenant, String why) {
    return new Entry(
        kind, trigger.table() + "." + trigger.name(), List.of(tenant), Outcome.NOT_RECREATED, why);
  }

  /** Entries of the same kind and name from several tenants merge into one listing every tenant. */
  private static void add(Map<String, Entry> entries, Entry entry) {
    entries.merge(
        entry.kind() + " " + entry.name(),
        entry,
        (a, b) -> {
          List<String> tenants = new ArrayList<>(a.tenants());
          b.tenants().stream().filter(t -> !tenants.contains(t)).forEach(tenants::add);
          return new Entry(a.kind(), a.name(), tenants, a.outcome(), a.detail());
        });
  }
}
