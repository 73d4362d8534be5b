package dev.tenantfold.job;

import dev.tenantfold.catchup.CatchUpState;
import dev.tenantfold.catchup.CursorTables;
import dev.tenantfold.catchup.SourcePrerequisites;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.BorrowedKeys;
import dev.tenantfold.conform.CodePlan;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetSchemaPlanner;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.extract.ForeignKeySpec;
import dev.tenantfold.extract.TableObjects;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.jdbc.SearchPath;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.source.TenantSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The planning both {@code plan} and {@code run} do, so they compute the same plan: read every
 * tenant's catalog (no data), fill in what exports lack, and merge the catalogs with the existing
 * target under the rules ({@link TargetSchemaPlanner}).
 */
final class Planning {
  private static final Logger LOG = LoggerFactory.getLogger(Planning.class);
  private static final int MIN_SOURCE_VERSION = 130000;

  private final TenantfoldConfig config;
  private final Function<TenantConfig, TenantSource> sources;

  Planning(TenantfoldConfig config, Function<TenantConfig, TenantSource> sources) {
    this.config = config;
    this.sources = sources;
  }

  /** The catalogs read, and per tenant that could not be read, why. */
  record Catalogs(
      TenantCatalog target, Map<String, TenantCatalog> tenants, Map<String, String> unreadable) {}

  /**
   * Reads the target's and every tenant's catalog; a tenant that cannot be read is named with the
   * reason, the others go on.
   */
  Catalogs read(Connection target, List<TenantConfig> tenants) throws SQLException {
    requireDistinctSources(tenants);
    Map<String, TenantCatalog> catalogs = new LinkedHashMap<>();
    Map<String, String> unreadable = new LinkedHashMap<>();
    for (TenantConfig tenant : tenants) {
      try {
        catalogs.put(tenant.id(), readTenant(target, tenant));
      } catch (SQLException | RuntimeException e) {
        String message = unreadable(tenant, e);
        LOG.error(message);
        unreadable.put(tenant.id(), message);
      }
    }
    refuseCutOverTenants(target, catalogs, unreadable);
    requireIncludesMatch(catalogs, unreadable);
    TenantCatalog existing =
        CatalogReader.readTarget(
            target, config.target().schemas(), sourceSchemas(tenants), config.tables());
    requireExcludedTablesExist(tenants, catalogs, unreadable, existing);
    requireReferencingTablesSelected(target, tenants);
    requireCastTypesExist(target, catalogs);
    fillIncompleteCatalogs(tenants, catalogs, existing);
    return new Catalogs(existing, catalogs, unreadable);
  }

  /**
   * The tenant's catalog, once its source has what planning and the run need: a PostgreSQL version
   * that computes the checksum, every table {@code tables.include} names, what catch-up needs, and
   * the catch-up start its source must match.
   */
  private TenantCatalog readTenant(Connection target, TenantConfig tenant) throws SQLException {
    TenantSource source = sources.apply(tenant);
    TenantCatalog catalog = source.readCatalog(config.tables());
    if (tenant.source().checksumsOnServer() && catalog.serverVersionNum() < MIN_SOURCE_VERSION) {
      throw new SQLException(
          "the server runs PostgreSQL "
              + catalog.serverVersionNum() / 10000
              + "; sources need PostgreSQL 13 or later (the checksum uses trim_scale); read a"
              + " restored copy on a newer version");
    }
    for (String name : config.tables().explicitNames()) {
      if (catalog.tables().stream()
          .noneMatch(t -> TablesConfig.matches(name, t.schema(), t.name()))) {
        throw new SQLException(
            "table "
                + name
                + " (named in "
                + TablesConfig.INCLUDE.path()
                + ") does not exist in schemas "
                + tenant.schemas()
                + "; create it or remove it from the include list");
      }
    }
    SourcePrerequisites.require(tenant, catalog.tables(), config.rules());
    CursorTables.require(tenant, catalog.tables(), config.rules());
    source.requireCatchUpStart(target, config.target().reportSchema());
    return catalog;
  }

  /** Why the tenant cannot be planned, naming its source and its config block. */
  private String unreadable(TenantConfig tenant, Exception e) {
    int i = config.tenants().indexOf(tenant);
    return "Cannot read tenant "
        + tenant.id()
        + " ("
        + sources.apply(tenant).describe()
        + "): "
        + Redaction.sqlMessage(e, config.secrets())
        + " (check "
        + tenant.source().blockKey().path(i)
        + ")";
  }

  /**
   * Fills in what the catalogs of tenants whose source lacks keys and exact types (an export
   * without its catalog) miss, from the target and the other tenants.
   */
  private void fillIncompleteCatalogs(
      List<TenantConfig> tenants, Map<String, TenantCatalog> catalogs, TenantCatalog existing) {
    for (TenantConfig tenant : tenants) {
      if (catalogs.containsKey(tenant.id()) && tenant.source().catalogIncomplete()) {
        // Export metadata holds no primary keys: take the ones the target or the other tenants
        // have.
        List<TenantCatalog> others =
            catalogs.values().stream().filter(c -> !c.tenantId().equals(tenant.id())).toList();
        catalogs.put(
            tenant.id(),
            BorrowedKeys.fill(catalogs.get(tenant.id()), others, existing, config.tenantColumn()));
      }
    }
  }

  /**
   * A tenant that {@code tenantfold cutover} switched is written by its application in the target
   * since: a run would replace those writes with the source's rows, so it is refused unless {@code
   * publish.replace-cut-over} names it.
   */
  private void refuseCutOverTenants(
      Connection target, Map<String, TenantCatalog> catalogs, Map<String, String> unreadable)
      throws SQLException {
    CatchUpState state = CatchUpState.of(config.target().reportSchema());
    for (String tenantId : List.copyOf(catalogs.keySet())) {
      Optional<CatchUpState.Tenant> recorded = state.read(target, tenantId);
      if (recorded.isPresent()
          && recorded.get().cutOver()
          && !config.options().mayReplaceCutOver(tenantId)) {
        String message =
            "Cannot run tenant "
                + tenantId
                + ": it was cut over (tenantfold cutover) and its application writes to the target"
                + " since; a run would replace those writes with the source's rows. If that is"
                + " meant, name it in "
                + dev.tenantfold.config.JobOptions.REPLACE_CUT_OVER.path()
                + " (--set '"
                + dev.tenantfold.config.JobOptions.REPLACE_CUT_OVER.documented()
                + "=["
                + tenantId
                + "]')";
        LOG.error(message);
        catalogs.remove(tenantId);
        unreadable.put(tenantId, message);
      }
    }
  }

  /**
   * Two tenants reading one database would publish it twice ({@link SameDatabase}): a config error
   * (exit 2) naming them, unless {@code publish.allow-same-database} is set.
   */
  private void requireDistinctSources(List<TenantConfig> tenants) {
    if (config.options().allowSameDatabase()) {
      return;
    }
    Map<String, String> sources = new LinkedHashMap<>();
    for (TenantConfig tenant : tenants) {
      sources.put(tenant.id(), tenant.source().identity());
    }
    List<String> conflicts = SameDatabase.conflicts(sources);
    if (!conflicts.isEmpty()) {
      throw new ConfigError(
          "Config key "
              + TenantfoldConfig.TENANTS.path()
              + ": "
              + String.join("; ", conflicts)
              + " (give each tenant its own database, or set"
              + " "
              + dev.tenantfold.config.JobOptions.ALLOW_SAME_DATABASE.path()
              + " = true if this is meant)");
    }
  }

  /**
   * A rule that excludes a table no tenant has ({@code rules.nosuch.exclude = true}) excludes
   * nothing, so the table meant publishes: a config error (exit 2), as for every other rule key
   * naming no table. Excluded tables are not read, so each readable tenant is asked for the name
   * alone.
   */
  private void requireExcludedTablesExist(
      List<TenantConfig> tenants,
      Map<String, TenantCatalog> catalogs,
      Map<String, String> unreadable,
      TenantCatalog existing)
      throws SQLException {
    if (!unreadable.isEmpty()) {
      return;
    }
    for (dev.tenantfold.config.RulesConfig.TableRule rule : config.rules().tables().values()) {
      if (!rule.exclude()) {
        continue;
      }
      boolean found =
          existing.tables().stream()
              .anyMatch(t -> dev.tenantfold.config.RulesConfig.names(rule.table(), t.key()));
      for (TenantConfig tenant : tenants) {
        if (found || !catalogs.containsKey(tenant.id())) {
          continue;
        }
        TenantCatalog only =
            sources.apply(tenant).readCatalog(new TablesConfig(List.of(rule.table()), List.of()));
        found =
            only.tables().stream()
                .anyMatch(t -> dev.tenantfold.config.RulesConfig.names(rule.table(), t.key()));
      }
      if (!found) {
        throw new ConfigError(
            "Cannot apply rule "
                + rule.path()
                + ".exclude: no tenant has a table named "
                + rule.table()
                + ", so nothing would be excluded (check the name; a table outside schema public is"
                + " named schema.table, quoted: "
                + dev.tenantfold.config.RulesConfig.path("sales.orders")
                + ")");
      }
    }
  }

  /**
   * A cast rule naming a type neither the target knows nor any tenant brings ({@code cast = bigit})
   * would fail every tenant's run with PostgreSQL's "type does not exist" after its transfer: a
   * config error (exit 2) naming the key. A tenant's own enum, domain or composite type (created on
   * the target by the run) counts as known.
   */
  private void requireCastTypesExist(Connection target, Map<String, TenantCatalog> catalogs)
      throws SQLException {
    java.util.Set<String> brought = new java.util.HashSet<>();
    for (TenantCatalog c : catalogs.values()) {
      c.enums().keySet().forEach(name -> brought.add(name.toLowerCase(java.util.Locale.ROOT)));
      c.tables()
          .forEach(
              t ->
                  t.columns()
                      .forEach(col -> brought.add(col.type().toLowerCase(java.util.Locale.ROOT))));
    }
    for (dev.tenantfold.config.RulesConfig.TableRule rule : config.rules().tables().values()) {
      for (dev.tenantfold.config.RulesConfig.ColumnRule column : rule.columns().values()) {
        if (column.cast().isEmpty() || brought.contains(column.cast().get())) {
          continue;
        }
        boolean known;
        java.sql.Savepoint before = target.getAutoCommit() ? null : target.setSavepoint();
        try {
          known =
              dev.tenantfold.jdbc.Queries.bool(
                  target, "SELECT to_regtype(?) IS NOT NULL", column.cast().get());
        } catch (SQLException syntax) {
          // to_regtype raises on text that is no type name at all ("big int(").
          if (before != null) {
            target.rollback(before);
          }
          known = false;
        }
        if (!known) {
          throw new ConfigError(
              "Cannot apply rule "
                  + column.path()
                  + ".cast: type "
                  + column.cast().get()
                  + " exists neither on the target nor in any tenant (check the spelling: a"
                  + " PostgreSQL type such as bigint, \"numeric(14,4)\" or a tenant's enum)");
        }
      }
    }
  }

  /**
   * A consolidated table this run republishes that a table the run leaves out references ({@code
   * tables.include = [customers]} while {@code orders} references it and holds rows of a tenant of
   * this run): replacing the tenant's customers partition would fail on the foreign key at detach,
   * after every tenant was transferred. A config error (exit 2) naming both tables and what to do.
   */
  private void requireReferencingTablesSelected(Connection target, List<TenantConfig> tenants)
      throws SQLException {
    List<String> ids = tenants.stream().map(TenantConfig::id).toList();
    List<String> problems = new ArrayList<>();
    try (var ps =
        target.prepareStatement(
            "SELECT fn.nspname, f.relname, rn.nspname, r.relname, c.conname FROM pg_constraint c"
                + " JOIN pg_class f ON f.oid = c.conrelid JOIN pg_namespace fn ON fn.oid ="
                + " f.relnamespace JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON"
                + " rn.oid = r.relnamespace WHERE c.contype = 'f' AND c.conparentid = 0 AND"
                + " f.relkind = 'p' AND r.relkind = 'p' AND c.conrelid <> c.confrelid AND EXISTS"
                + " (SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE"
                + " i.inhparent = f.oid AND EXISTS (SELECT 1 FROM unnest(?::text[]) t(id) WHERE"
                + " pg_get_expr(p.relpartbound, p.oid) = format('FOR VALUES IN (%L)', t.id)))"
                + " ORDER BY 1, 2, 5")) {
      ps.setArray(1, target.createArrayOf("text", ids.toArray()));
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          String referencingKey =
              config.target().schemas().keyOfTarget(rs.getString(1), rs.getString(2));
          String referencedKey =
              config.target().schemas().keyOfTarget(rs.getString(3), rs.getString(4));
          if (config.tables().selects(referencedKey) && !config.tables().selects(referencingKey)) {
            problems.add(
                "table "
                    + referencedKey
                    + " is referenced by "
                    + referencingKey
                    + " (foreign key "
                    + rs.getString(5)
                    + "), which this run leaves out; republishing "
                    + referencedKey
                    + " would fail at the foreign key: include "
                    + referencingKey
                    + " in the run too, or leave "
                    + referencedKey
                    + " out");
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigError(
          "Config key " + TenantfoldConfig.TABLES.path() + ": " + String.join("; ", problems));
    }
  }

  /**
   * Two source tables the schema map sends to one target table ({@code schema-map { app = public }}
   * while another schema public has the table too) would be merged silently: a config error naming
   * both and the map.
   */
  private void requireOneTablePerRelation(TargetSchema plan) {
    Map<String, String> byRelation = new LinkedHashMap<>();
    for (String key : plan.tables().keySet()) {
      String relation = config.target().schemas().relation(key);
      String earlier = byRelation.put(relation, key);
      if (earlier != null) {
        throw new ConfigError(
            "Config key "
                + dev.tenantfold.config.TargetConfig.SCHEMA_MAP.path()
                + " sends tables "
                + earlier
                + " and "
                + key
                + " to one target table "
                + relation
                + "; schemas are mapped, not merged: map the schemas apart, or leave one table out"
                + " with "
                + TablesConfig.EXCLUDE.path());
      }
    }
  }

  /**
   * Every source schema a tenant reads (configured or exported): the target schemas they map to are
   * the target's to read.
   */
  private static List<String> sourceSchemas(List<TenantConfig> tenants) {
    return tenants.stream().flatMap(t -> t.schemas().stream()).distinct().toList();
  }

  /**
   * An include pattern that matches no table of any tenant read can never select anything: a typo,
   * or the wrong schemas. A config error (exit 2) naming the pattern, unless some tenant could not
   * be read (it might hold the table).
   */
  private void requireIncludesMatch(
      Map<String, TenantCatalog> catalogs, Map<String, String> unreadable) {
    if (!unreadable.isEmpty() || catalogs.values().stream().allMatch(c -> c.tables().isEmpty())) {
      // A tenant with no table at all fails on its own (it must not wipe what it published): no
      // pattern to blame.
      return;
    }
    for (String pattern : config.tables().include()) {
      boolean matched =
          catalogs.values().stream()
              .flatMap(c -> c.tables().stream())
              .anyMatch(t -> TablesConfig.matches(pattern, t.schema(), t.name()));
      if (!matched && (pattern.contains("*") || pattern.contains("?"))) {
        throw new ConfigError(
            "Config key "
                + TablesConfig.INCLUDE.path()
                + ": pattern '"
                + pattern
                + "' matches no table in any tenant (tenants "
                + catalogs.keySet()
                + ", schemas as configured per tenant); fix the pattern or the tenants' schemas");
      }
    }
  }

  /**
   * The plan with the unique constraints, indexes and CHECK constraints of each planned table, read
   * from the tenants that have it (JDBC tenants, and export tenants through their export.catalog,
   * config order; by name, the first tenant's definition wins). A tenant that cannot be read here
   * only contributes no objects.
   */
  TargetSchema withObjects(TargetSchema plan, Map<String, TenantCatalog> catalogs) {
    Map<String, TableObjects> objects = new LinkedHashMap<>();
    Map<String, CodeObjects> code = new LinkedHashMap<>();
    for (TenantConfig tenant : config.tenants()) {
      TenantCatalog catalog = catalogs.get(tenant.id());
      // An export tenant's objects come from its export.catalog connection, when it has one (the
      // export holds rows only).
      Optional<JdbcEndpoint> source = tenant.source().catalogConnection();
      if (catalog == null || source.isEmpty() || plan.rejectedTenants().containsKey(tenant.id())) {
        continue;
      }
      try (Connection conn = source.get().connect("tenantfold-catalog-" + tenant.id())) {
        // Under the tenant's schemas as the search path, as its code and column defaults are read:
        // the target replays them all
        // under the mapped path (SchemaMap.searchPath).
        Map<String, TableObjects> found =
            SearchPath.with(
                conn,
                tenant.schemas(),
                () -> {
                  Map<String, TableObjects> read = new LinkedHashMap<>();
                  for (TableSpec table : catalog.tables()) {
                    if (plan.table(table.key()).isPresent()) {
                      read.put(
                          table.key(),
                          TableObjects.read(conn, Sql.qualified(table.schema(), table.name()))
                              .withForeignKeys(table.foreignKeys()));
                    }
                  }
                  return read;
                });
        found.forEach((key, tableObjects) -> objects.merge(key, tableObjects, Planning::union));
        code.put(tenant.id(), CodeObjects.read(conn, tenant.schemas()));
      } catch (SQLException e) {
        LOG.warn(
            "Cannot read the indexes, constraints, functions, triggers and views of tenant {}: {}",
            tenant.id(),
            Redaction.sqlMessage(e, config.secrets()));
      }
    }
    return plan.withObjects(objects)
        .withCode(
            new CodePlan(
                code,
                config.target().compatSchemaPrefix().isPresent(),
                sourceSchemas(config.tenants())));
  }

  private static TableObjects union(TableObjects a, TableObjects b) {
    List<TableObjects.IndexSpec> indexes = new ArrayList<>(a.indexes());
    b.indexes().stream()
        .filter(i -> a.indexes().stream().noneMatch(x -> x.name().equals(i.name())))
        .forEach(indexes::add);
    List<TableObjects.CheckSpec> checks = new ArrayList<>(a.checks());
    b.checks().stream()
        .filter(c -> a.checks().stream().noneMatch(x -> x.name().equals(c.name())))
        .forEach(checks::add);
    List<ForeignKeySpec> keys = new ArrayList<>(a.foreignKeys());
    b.foreignKeys().stream()
        .filter(k -> a.foreignKeys().stream().noneMatch(x -> x.name().equals(k.name())))
        .forEach(keys::add);
    List<TableObjects.CheckSpec> exclusions = new ArrayList<>(a.exclusions());
    b.exclusions().stream()
        .filter(x -> a.exclusions().stream().noneMatch(y -> y.name().equals(x.name())))
        .forEach(exclusions::add);
    return new TableObjects(indexes, checks, keys, exclusions);
  }

  /**
   * The plan for {@code catalogs} (in config order). Export tenants apply every rule: dedup in
   * Spark, and casts (with rejects), defaults and the duplicates quarantine over a landing table in
   * the target ({@code source/ExportLanding}), so no rule keeps them out of the plan.
   */
  TargetSchema schema(TenantCatalog existing, Map<String, TenantCatalog> catalogs) {
    TargetSchema planned =
        TargetSchemaPlanner.plan(
            existing, new ArrayList<>(catalogs.values()), config.tenantColumn(), config.rules());
    requireOneTablePerRelation(planned);
    requireExportColumnsApartByCase(planned, catalogs);
    return planned;
  }

  /**
   * Export tenants are read through Spark, which tells column names apart only by more than case: a
   * consolidated table with columns {@code "Name"} and {@code name} (from one tenant, or from two)
   * fails an export tenant's read with Spark's ambiguity error. A config error (exit 2) naming the
   * table, the columns and the export tenants, instead.
   */
  private void requireExportColumnsApartByCase(
      TargetSchema plan, Map<String, TenantCatalog> catalogs) {
    List<String> problems = new ArrayList<>();
    for (var table : plan.tables().values()) {
      List<String> collisions = SameDatabase.caseCollisions(table.columnNames());
      if (collisions.isEmpty()) {
        continue;
      }
      List<String> exports =
          config.tenants().stream()
              .filter(t -> t.source().readsThroughSpark())
              .filter(
                  t ->
                      catalogs.containsKey(t.id())
                          && catalogs.get(t.id()).table(table.name()).isPresent())
              .map(TenantConfig::id)
              .toList();
      if (!exports.isEmpty()) {
        problems.add(
            "table "
                + table.name()
                + " has columns "
                + collisions
                + " that differ only by case, and export tenants "
                + exports
                + " are read through Spark, which cannot tell them apart");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigError(
          "Cannot plan: "
              + String.join("; ", problems)
              + " (rename one of the columns in the sources, or leave one out with"
              + " "
              + dev.tenantfold.config.RulesConfig.COLUMN_EXCLUDE.path("TABLE", "COLUMN")
              + " = true)");
    }
  }
}
