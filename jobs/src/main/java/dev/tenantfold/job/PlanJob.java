package dev.tenantfold.job;

import dev.tenantfold.catchup.CursorTables;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.load.TargetDdl;
import dev.tenantfold.load.TenantRoles;
import dev.tenantfold.report.PlanWriter;
import dev.tenantfold.report.ReportWriter;
import dev.tenantfold.source.TenantSource;
import dev.tenantfold.source.TenantSources;
import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code plan} command: reads every tenant's schema and the existing target, moves no data and
 * writes nothing to the target, and shows the plan a run would follow ({@link Planning}, the same
 * code {@code run} uses).
 */
public final class PlanJob {
  private final TenantfoldConfig config;
  private final SparkSession spark;

  /** {@code spark} may be null when no tenant is an export (nothing is read through it then). */
  public PlanJob(TenantfoldConfig config, SparkSession spark) {
    this.config = config;
    this.spark = spark;
  }

  /** The plan, and the tenants whose catalog could not be read at all. */
  public record Outcome(
      TargetSchema plan, Map<String, String> unreadable, Optional<String> writtenTo) {
    /** Whether a run could proceed with every tenant. */
    public boolean clean() {
      return unreadable.isEmpty() && !plan.hasErrors();
    }
  }

  /**
   * Plans, prints the plan to {@code out}, and writes plan.json to {@code outPath} (local path or
   * s3a:// URI) when given.
   */
  public Outcome execute(PrintStream out, Optional<String> outPath)
      throws SQLException, IOException {
    TenantSources sources = new TenantSources(config);
    Planning planning = new Planning(config, tenant -> sources.of(tenant, "plan", spark));
    TargetSchema plan;
    Map<String, String> unreadable;
    List<String> copyFormats;
    try (Connection target =
        config.target().endpoint().connect(SessionName.of("plan", "catalog"))) {
      Planning.Catalogs catalogs = planning.read(target, config.tenants());
      unreadable = new LinkedHashMap<>(catalogs.unreadable());
      for (TenantConfig tenant : config.tenants()) {
        var catalog = catalogs.tenants().get(tenant.id());
        if (catalog != null && catalog.tables().isEmpty()) {
          // As run refuses it: a typo in schemas must not plan (or publish) a tenant with nothing.
          unreadable.put(
              tenant.id(),
              "Tenant "
                  + tenant.id()
                  + ": schemas "
                  + tenant.schemas()
                  + " hold no table that "
                  + TenantfoldConfig.TABLES.path()
                  + " selects; check "
                  + tenant.source().schemasKey().path(config.tenants().indexOf(tenant))
                  + " and that it names the right database");
        }
      }
      plan =
          planning.withObjects(
              planning.schema(catalogs.target(), catalogs.tenants()), catalogs.tenants());
      copyFormats = copyFormatLines(sources, plan, catalogs.tenants());
      // As run refuses it: tenant code needs its tenants' roles (docs/security.md).
      List<String> codeTenants =
          TargetDdl.of(config.target(), config.tenantColumn())
              .forTenants(config.tenants().stream().map(TenantConfig::id).toList())
              .codeTenants(plan);
      try {
        new TenantRoles(config.tenantColumn(), config.target().rowLevelSecurity())
            .check(target, codeTenants);
      } catch (SQLException e) {
        codeTenants.forEach(t -> unreadable.putIfAbsent(t, e.getMessage()));
      }
    }
    List<String> ids = config.tenants().stream().map(TenantConfig::id).toList();
    PlanWriter.print(plan, ids, unreadable, out);
    copyFormats.forEach(out::println);
    printCursorLimits(sources, unreadable, out);
    Optional<String> written = Optional.empty();
    if (outPath.isPresent()) {
      written =
          Optional.of(ReportWriter.writeTo(outPath.get(), PlanWriter.json(plan), hadoopConf()));
      out.println("Plan written to " + written.get().replaceFirst("^file:", ""));
    }
    return new Outcome(plan, unreadable, written);
  }

  /**
   * Per table, the COPY format its tenants' rows stream into staging in ({@code load.copy-format},
   * docs/how-it-works.md) and why a table stays text; nothing when no tenant streams by COPY.
   */
  private List<String> copyFormatLines(
      TenantSources sources, TargetSchema plan, Map<String, TenantCatalog> catalogs) {
    Map<String, TenantSource> tenantSources = new LinkedHashMap<>();
    for (TenantConfig tenant : config.tenants()) {
      if (catalogs.containsKey(tenant.id())) {
        tenantSources.put(tenant.id(), sources.of(tenant, "plan", spark));
      }
    }
    List<String[]> rows = new ArrayList<>();
    for (TargetTable table : plan.tables().values()) {
      // Each format, described, with the tenants that stream in it.
      Map<String, List<String>> formats = new LinkedHashMap<>();
      tenantSources.forEach(
          (tenantId, source) -> {
            TenantCatalog catalog = catalogs.get(tenantId);
            catalog
                .table(table.name())
                .flatMap(
                    spec ->
                        source.copyFormat(
                            catalog, new ConformedSource(table, spec, plan.rule(table.name()))))
                .ifPresent(
                    choice ->
                        formats
                            .computeIfAbsent(choice.describe(), d -> new ArrayList<>())
                            .add(tenantId));
          });
      if (!formats.isEmpty()) {
        List<String> described = new ArrayList<>();
        formats.forEach(
            (format, tenants) ->
                described.add(
                    formats.size() == 1 ? format : format + " for " + String.join(", ", tenants)));
        rows.add(new String[] {table.name(), String.join("; ", described)});
      }
    }
    if (rows.isEmpty()) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add(
        "COPY format into staging (load.copy-format = "
            + config.options().copyFormat().name().toLowerCase(java.util.Locale.ROOT)
            + "):");
    int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
    rows.forEach(r -> lines.add(String.format("  %-" + width + "s  %s", r[0], r[1])));
    return lines;
  }

  /**
   * For each readable tenant with {@code catch-up.mode = cursor}, per table what the mode misses
   * and what its key comparison costs (docs/catch-up.md, "cursor").
   */
  private void printCursorLimits(
      TenantSources sources, Map<String, String> unreadable, PrintStream out) {
    for (TenantConfig tenant : config.tenants()) {
      if (!tenant.catchUp().cursor() || unreadable.containsKey(tenant.id())) {
        continue;
      }
      try {
        var tables = sources.of(tenant, "plan", spark).readCatalog(config.tables()).tables();
        CursorTables.planLines(
                tenant.id(), tenant.catchUp(), CursorTables.resolve(tenant, tables, config.rules()))
            .forEach(out::println);
      } catch (SQLException e) {
        out.println("tenant " + tenant.id() + ": cannot describe its cursor catch-up: " + e);
      }
    }
  }

  private Configuration hadoopConf() {
    if (spark != null) {
      return spark.sparkContext().hadoopConfiguration();
    }
    Configuration conf = new Configuration();
    config.s3().applyTo(conf);
    return conf;
  }
}
