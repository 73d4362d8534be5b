package dev.tenantfold.job;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetSchemaPlanner;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.load.TargetDdl;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.ReportWriter;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.validate.TableStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.tenantfold.jdbc.Sql;

/**
 * The {@code run} command: plan the target schema from every tenant's catalog, migrate tenants
 * (each independently, {@code extract.tenant-parallelism} at a time), then record and report.
 * A tenant that fails fails alone; the result says which and why.
 */
public final class MigrationJob {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationJob.class);
  private static final DateTimeFormatter RUN_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private static final int MIN_SOURCE_VERSION = 130000;

  private final TenantfoldConfig config;
  private final SparkSession spark;

  public MigrationJob(TenantfoldConfig config, SparkSession spark) {
    this.config = config;
    this.spark = spark;
  }

  public static String newRunId(Instant now) {
    return RUN_ID_TIME.format(now) + "-" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
  }

  public RunResult execute() throws SQLException {
    Instant started = Instant.now();
    String runId = newRunId(started);
    LOG.info("Starting run {} for {} tenants", runId, config.tenants().size());
    ReportStore reports = new ReportStore(config.target().reportSchema());
    List<TenantResult> results = new ArrayList<>();
    try (Connection target = config.target().endpoint().connect("tenantfold-driver")) {
      TargetDdl.serialized(target, () -> reports.ensureTables(target));
      for (String abandoned : reports.sweepAbandoned(target, config.target().stagingSchema())) {
        LOG.warn("Run {} was left running by a driver that stopped: marked abandoned, its staging tables dropped", abandoned);
      }
      reports.startRun(target, runId, started, "run");

      try {
        return migrate(target, reports, runId, started, results);
      } catch (SQLException | RuntimeException e) {
        reports.finishRun(target, runId, Instant.now(), "failed");
        throw e;
      }
    }
  }

  private RunResult migrate(Connection target, ReportStore reports, String runId, Instant started, List<TenantResult> results)
      throws SQLException {
      Map<String, TenantCatalog> catalogs = new LinkedHashMap<>();
      Map<String, TenantResult> failed = new LinkedHashMap<>();
      readCatalogs(catalogs, failed);
      TenantCatalog existing = CatalogReader.read(target, "target", List.of(config.target().schema()), config.tables());
      TargetSchema planned = TargetSchemaPlanner.plan(existing, new ArrayList<>(catalogs.values()), config.tenantColumn());
      planned.rejectedTenants().forEach((tenantId, why) -> {
        catalogs.remove(tenantId);
        failed.put(tenantId, TenantResult.failed(tenantId, "Cannot conform tenant " + tenantId + ": " + why, List.of(), 0));
      });
      Map<String, String> failedTables =
          TargetDdl.of(config.target(), config.tenantColumn()).apply(target, planned, config.options().publishLockTimeout());
      // A table the target cannot hold fails the tenants that have it; the others go on without it.
      for (TenantCatalog catalog : List.copyOf(catalogs.values())) {
        List<String> reasons = catalog.tables().stream().filter(t -> failedTables.containsKey(t.name())).map(t -> failedTables.get(t.name())).toList();
        if (!reasons.isEmpty()) {
          catalogs.remove(catalog.tenantId());
          failed.put(catalog.tenantId(), TenantResult.failed(catalog.tenantId(), "Cannot migrate tenant " + catalog.tenantId() + ": "
              + String.join("; ", reasons), List.of(), 0));
        }
      }
      TargetSchema schema = planned.without(failedTables.keySet());
      // Once, before tenants run in parallel: concurrent CREATE SCHEMA IF NOT EXISTS can collide.
      TargetDdl.serialized(target, () -> {
        try (var st = target.createStatement()) {
          st.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.ident(config.target().stagingSchema()));
        }
      });

      Map<String, Future<TenantResult>> running = new LinkedHashMap<>();
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      ExecutorService pool = Executors.newFixedThreadPool(config.options().tenantParallelism(), r -> {
        Thread t = new Thread(r, "tenantfold-tenant");
        t.setDaemon(true);
        return t;
      });
      try {
        for (TenantConfig tenant : config.tenants()) {
          TenantCatalog catalog = catalogs.get(tenant.id());
          if (catalog != null) {
            running.put(tenant.id(), pool.submit(() -> new TenantMigration(config, tenant, catalog, schema, runId, jsc, reports).execute()));
          }
        }
        for (TenantConfig tenant : config.tenants()) {
          TenantResult r = failed.containsKey(tenant.id()) ? failed.get(tenant.id()) : await(tenant.id(), running.get(tenant.id()));
          // Tenants that failed before any table had a verdict: their table rows were never written.
          reports.recordTenantFailure(target, runId, r);
          if (!r.published()) {
            LOG.warn("Tenant {} not published ({}): {}", r.tenantId(), r.status(), r.message().isEmpty()
                ? r.tables().stream().filter(t -> t.status() != TableStatus.OK).map(t -> t.tableName() + ": " + t.message()).toList()
                : r.message());
          }
          results.add(r);
        }
      } finally {
        pool.shutdownNow();
      }
      Instant finished = Instant.now();
      RunResult provisional = new RunResult(runId, "run", started, finished, results, null);
      reports.finishRun(target, runId, finished, provisional.statusLabel());
      String reportPath = writeReport(provisional);
      return new RunResult(runId, "run", started, finished, results, reportPath);
  }

  private void readCatalogs(Map<String, TenantCatalog> catalogs, Map<String, TenantResult> failed) {
    for (int i = 0; i < config.tenants().size(); i++) {
      TenantConfig tenant = config.tenants().get(i);
      try (Connection conn = tenant.jdbc().connect("tenantfold-catalog-" + tenant.id())) {
        TenantCatalog catalog = CatalogReader.read(conn, tenant.id(), tenant.schemas(), config.tables());
        if (catalog.serverVersionNum() < MIN_SOURCE_VERSION) {
          throw new SQLException("the server runs PostgreSQL " + catalog.serverVersionNum() / 10000
              + "; sources need PostgreSQL 13 or later (the checksum uses trim_scale); read a restored copy on a newer version");
        }
        for (String name : config.tables().explicitNames()) {
          if (catalog.table(name).isEmpty()) {
            throw new SQLException("table " + name + " (named in tenantfold.tables.include) does not exist in schemas "
                + tenant.schemas() + "; create it or remove it from the include list");
          }
        }
        catalogs.put(tenant.id(), catalog);
      } catch (SQLException | RuntimeException e) {
        String message = "Cannot read tenant " + tenant.id() + " (" + tenant.jdbc().describe() + "): "
            + Redaction.sqlMessage(e, config.secrets()) + " (check tenantfold.tenants[" + i + "].jdbc)";
        LOG.error(message);
        failed.put(tenant.id(), TenantResult.failed(tenant.id(), message, List.of(), 0));
      }
    }
  }

  private TenantResult await(String tenantId, Future<TenantResult> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return TenantResult.failed(tenantId, "Interrupted while migrating tenant " + tenantId, List.of(), 0);
    } catch (java.util.concurrent.ExecutionException e) {
      return TenantResult.failed(tenantId, "Cannot migrate tenant " + tenantId + ": "
          + Redaction.sqlMessage(e.getCause(), config.secrets()), List.of(), 0);
    }
  }

  private String writeReport(RunResult run) {
    try {
      return ReportWriter.write(config.reportDir(), run, spark.sparkContext().hadoopConfiguration());
    } catch (java.io.IOException | RuntimeException e) {
      LOG.error("Cannot write report.json under {} (tenantfold.report.dir): {}", config.reportDir(), e.getMessage());
      return null;
    }
  }
}
