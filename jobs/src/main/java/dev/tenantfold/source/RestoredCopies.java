package dev.tenantfold.source;

import dev.tenantfold.aws.DbInstance;
import dev.tenantfold.aws.RdsControlPlane;
import dev.tenantfold.aws.RestoredCopy;
import dev.tenantfold.aws.SdkRdsControlPlane;
import dev.tenantfold.catchup.SlotStart;
import dev.tenantfold.catchup.SourcePrerequisites;
import dev.tenantfold.config.JdbcAuth;
import dev.tenantfold.config.RestoreConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restored-copy kind of source ({@code SourceSpec.RestoredCopy}, a tenant with a {@code
 * restore} block): restores a temporary copy tagged with the run and the tenant, waits until it is
 * available, reads the copy's endpoint with the tenant's own jdbc settings, and deletes the copy
 * once read (unless {@code restore.keep}). {@link SourcePreparations} schedules it for the run;
 * {@link #sweep} deletes the copies of runs whose driver died.
 */
final class RestoredCopies implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestoredCopies.class);

  /** The report's stage names of restoring a tenant's copy and deleting it. */
  static final String PREPARE_STAGE = "restore";

  static final String CLEAN_UP_STAGE = "delete_copy";

  private final TenantfoldConfig config;
  private final String runId;
  private final Supplier<RdsControlPlane> planes;
  private RdsControlPlane rds;

  /**
   * Copies asked for, by tenant: registered before the restore call, so an ambiguous failure still
   * deletes.
   */
  private final Map<String, String> requested = new ConcurrentHashMap<>();

  RestoredCopies(TenantfoldConfig config, String runId) {
    this.config = config;
    this.runId = runId;
    this.planes = () -> SdkRdsControlPlane.of(config.aws());
  }

  /**
   * A tenant's available copy: the tenant reading it, the copy, the time restoring took, and the
   * slot made on production before the copy's point in time (catch-up).
   */
  record Restored(
      TenantConfig tenant, RestoredCopy copy, long millis, Optional<SlotStart.SlotAhead> slot) {}

  /** Whether {@code tenant} is read from a copy restored from backups. */
  static boolean restores(TenantConfig tenant) {
    return tenant.source().restoredFrom().isPresent();
  }

  static boolean needed(TenantfoldConfig config) {
    return config.tenants().stream().anyMatch(RestoredCopies::restores);
  }

  private synchronized RdsControlPlane rds() {
    if (rds == null) {
      rds = planes.get();
    }
    return rds;
  }

  /** Where a tenant read from its copy was read from, for the report. */
  static SourcePreparations.ReadFrom readFrom(Restored restored) {
    RestoredCopy c = restored.copy();
    return new SourcePreparations.ReadFrom("copy", c.describe(), Optional.of(c.pointInTime()));
  }

  /** Why the tenant's copy could not be restored. */
  String failed(TenantConfig tenant, Throwable cause) {
    return "Cannot restore a copy of tenant "
        + tenant.id()
        + " from instance "
        + tenant.source().restoredFrom().orElseThrow().sourceInstance()
        + ": "
        + Redaction.sqlMessage(cause, config.secrets());
  }

  String stopped(String tenantId) {
    return "Cannot restore a copy of tenant " + tenantId + ": the run stopped waiting for it";
  }

  String interrupted(String tenantId) {
    return "Interrupted while restoring a copy of tenant " + tenantId;
  }

  /** Drops the slot of a copy restored for a tenant that will not read it. */
  void abandon(Restored done) {
    done.slot().ifPresent(s -> SlotStart.dropAhead(done.tenant()));
  }

  /** Restores the tenant's copy and waits until it is available. */
  Restored restore(TenantConfig tenant) throws SQLException {
    long start = System.nanoTime();
    RestoreConfig restore = tenant.source().restoredFrom().orElseThrow();
    String copyId = copyId(tenant.id(), runId);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(RdsControlPlane.RUN_TAG, runId);
    tags.put(RdsControlPlane.TENANT_TAG, tenant.id());
    tags.put(RdsControlPlane.KEEP_TAG, String.valueOf(restore.keep()));
    requested.put(tenant.id(), copyId);
    LOG.info(
        "Restoring copy {} of instance {} for tenant {} ({})",
        copyId,
        restore.sourceInstance(),
        tenant.id(),
        restore.from());
    boolean iam =
        JdbcAuth.IAM_PLUGIN.equals(tenant.jdbc().properties().get(JdbcAuth.PLUGIN_PROPERTY));
    Optional<SlotStart.SlotAhead> slot = Optional.empty();
    RestoredCopy copy;
    DbInstance available;
    try {
      if (tenant.catchUp().logical()) {
        // Catch-up: the slot is made on production first, and the copy restored to a later point,
        // so the copy holds every transaction the slot does not stream (docs/catch-up.md).
        slot = Optional.of(slotOnProduction(tenant));
        copy =
            rds()
                .restoreAfter(
                    copyId, restore, tags, iam, slot.get().createdAt(), restore.waitTimeout());
      } else {
        copy = rds().restore(copyId, restore, tags, iam);
      }
      available = rds().awaitAvailable(copyId, restore.waitTimeout());
    } catch (RuntimeException e) {
      // No copy to read: the slot would only keep WAL on production.
      slot.ifPresent(s -> SlotStart.dropAhead(tenant));
      throw e;
    }
    String url =
        copyUrl(tenant.jdbc().url(), available.host().orElseThrow(), available.port().orElse(5432));
    LOG.info("Tenant {} reads {} ({})", tenant.id(), copy.describe(), Redaction.redactUrl(url));
    return new Restored(
        tenant.readingFrom(tenant.jdbc().withUrl(url)),
        copy,
        (System.nanoTime() - start) / 1_000_000,
        slot);
  }

  /**
   * The tenant's publication and replication slot, made on its production database (its {@code
   * jdbc} settings) after checking what catch-up needs there: a table without a usable replica
   * identity is never added to a publication.
   */
  private SlotStart.SlotAhead slotOnProduction(TenantConfig tenant) throws SQLException {
    TenantCatalog catalog;
    try (Connection conn = tenant.jdbc().connect("tenantfold-catalog-" + tenant.id())) {
      catalog = CatalogReader.read(conn, tenant.id(), tenant.schemas(), config.tables());
    }
    SourcePrerequisites.require(tenant, catalog.tables(), config.rules());
    return SlotStart.createAhead(tenant, catalog.tables());
  }

  /**
   * The source reading the tenant's copy, catching up from the slot made before the copy's point
   * when there is one; or why the copy cannot be read with the plan.
   */
  SourcePreparations.Ready open(
      TenantConfig tenant,
      Restored restored,
      TenantCatalog planned,
      TenantSources sources,
      SparkSession spark) {
    TenantConfig reading = restored.tenant();
    TenantSource source = sources.of(reading, runId, spark);
    if (restored.slot().isPresent()) {
      source.catchingUpFrom(
          restored.slot().get(),
          tenant.jdbc().describe(),
          restored.copy().pointInTime(),
          restored.copy().describe());
    }
    Optional<String> differs;
    try {
      differs =
          differences(tenant.id(), restored.copy(), planned, source.readCatalog(config.tables()));
    } catch (SQLException | RuntimeException e) {
      differs =
          Optional.of(
              "Cannot read tenant "
                  + tenant.id()
                  + " from "
                  + restored.copy().describe()
                  + ": "
                  + Redaction.sqlMessage(e, config.secrets()));
    }
    if (differs.isPresent()) {
      LOG.error(differs.get());
      return SourcePreparations.Ready.failed(differs.get());
    }
    return SourcePreparations.Ready.of(reading, source);
  }

  /**
   * Why the copy cannot be read with the plan, if it cannot: the run planned the target from the
   * tenant's production catalog (read while the copy was being restored), so the copy must hold the
   * same tables with the same columns, types and keys. Empty when they match.
   */
  static Optional<String> differences(
      String tenantId, RestoredCopy copy, TenantCatalog planned, TenantCatalog onCopy) {
    String prefix = "Cannot read tenant " + tenantId + " from " + copy.describe() + ": ";
    String hint =
        "; the run planned with the catalog of the configured (production) database, whose schema"
            + " differs from the copy's point in time: run again once the change is older than the"
            + " point restored (restore.from = latest-restorable-time lags production by about 5"
            + " minutes; a snapshot holds the schema it was taken with)";
    for (TableSpec table : planned.tables()) {
      Optional<TableSpec> there = onCopy.table(table.key());
      if (there.isEmpty()) {
        return Optional.of(prefix + "table " + table.key() + " is not on the copy" + hint);
      }
      if (!there.get().columns().equals(table.columns())) {
        List<String> plannedColumns =
            table.columns().stream()
                .map(c -> c.name() + " " + c.type() + (c.notNull() ? " not null" : ""))
                .toList();
        List<String> copyColumns =
            there.get().columns().stream()
                .map(c -> c.name() + " " + c.type() + (c.notNull() ? " not null" : ""))
                .toList();
        return Optional.of(
            prefix
                + "table "
                + table.key()
                + " has columns "
                + copyColumns
                + " on the copy, planned "
                + plannedColumns
                + hint);
      }
      if (!there.get().primaryKey().equals(table.primaryKey())) {
        return Optional.of(
            prefix
                + "table "
                + table.key()
                + " has primary key "
                + there.get().primaryKey()
                + " on the copy, planned "
                + table.primaryKey()
                + hint);
      }
    }
    for (TableSpec table : onCopy.tables()) {
      if (planned.table(table.key()).isEmpty()) {
        return Optional.of(
            prefix + "table " + table.key() + " is on the copy but was not planned" + hint);
      }
    }
    return Optional.empty();
  }

  /**
   * Why validate does not read a restored tenant, and how to validate it: validate restores no
   * copy, and reading the configured database would read production, which restored tenants are
   * never read from (and which has moved on from the copy's point in time the published rows come
   * from).
   */
  static String auditRefusal(TenantfoldConfig config, TenantConfig tenant) {
    int i = config.tenants().indexOf(tenant);
    String copy = "tf-" + tenant.id().toLowerCase(java.util.Locale.ROOT) + "-<run id>";
    return "Cannot validate tenant "
        + tenant.id()
        + ": it is read from a restored copy ("
        + TenantConfig.RESTORE.path(i)
        + ") and validate restores none; reading its configured database would read"
        + " production. The run that published it validated it against its copy (report.json). To"
        + " validate it again, run with restore.keep = true, then validate with a config whose"
        + " tenant "
        + tenant.id()
        + " has no restore block and jdbc.url at the kept copy's endpoint ("
        + copy
        + ", named in the report's source), and delete the copy"
        + " after: aws rds delete-db-instance --db-instance-identifier "
        + copy
        + " --skip-final-snapshot --delete-automated-backups";
  }

  /**
   * Deletes the tenant's copy now (unless kept): its tenant is done reading it. Whether a deletion
   * was asked for (the time it took is the tenant's {@link #CLEAN_UP_STAGE}).
   */
  boolean delete(String tenantId) {
    String copyId = requested.remove(tenantId);
    if (copyId == null) {
      return false;
    }
    TenantConfig tenant =
        config.tenants().stream().filter(t -> t.id().equals(tenantId)).findFirst().orElseThrow();
    if (tenant.source().restoredFrom().orElseThrow().keep()) {
      LOG.warn(
          "Keeping copy {} of tenant {} (restore.keep = true): delete it yourself when done",
          copyId,
          tenantId);
      return false;
    }
    try {
      rds().delete(copyId);
    } catch (RuntimeException e) {
      LOG.warn(
          "Cannot delete copy {} of tenant {} (the next run's sweep or tenantfold cleanup deletes"
              + " it): {}",
          copyId,
          tenantId,
          e.getMessage());
    }
    return true;
  }

  @Override
  public void close() {
    if (rds != null) {
      rds.close();
    }
  }

  /**
   * Deletes the copies that runs no longer running left (tagged with a run this target's {@code
   * runs} table records as finished, failed or abandoned; not kept); on a dry run only lists them.
   * A copy of a run this target does not know (another deployment in the same account) is left
   * alone. Only when some tenant restores: others make no AWS call.
   */
  static List<String> sweep(
      TenantfoldConfig config,
      SourcePreparations.RunStates runs,
      List<String> liveRuns,
      boolean dryRun,
      PrintStream out) {
    if (!needed(config)) {
      return List.of();
    }
    List<String> swept = new ArrayList<>();
    try (RdsControlPlane rds = SdkRdsControlPlane.of(config.aws())) {
      for (DbInstance instance : rds.instances()) {
        String run = instance.tags().get(RdsControlPlane.RUN_TAG);
        if (run == null
            || liveRuns.contains(run)
            || "true".equals(instance.tags().get(RdsControlPlane.KEEP_TAG))
            || "deleting".equals(instance.status())) {
          continue;
        }
        Optional<String> past = runs.of(run);
        if (past.isEmpty() || past.get().equals("running")) {
          LOG.info(
              "Leaving copy {}: run {} is {}",
              instance.id(),
              run,
              past.isEmpty()
                  ? "not recorded in "
                      + config.target().reportSchema()
                      + ".runs (another deployment's?)"
                  : "still running");
          continue;
        }
        if (!dryRun) {
          try {
            rds.delete(instance.id());
          } catch (RuntimeException e) {
            LOG.warn(
                "Cannot delete copy {} left by run {}: {}", instance.id(), run, e.getMessage());
            continue;
          }
        }
        swept.add(instance.id());
        if (out != null) {
          out.printf(
              "%s copy %s (run %s, tenant %s)%n",
              dryRun ? "would delete" : "deleted",
              instance.id(),
              run,
              instance.tags().getOrDefault(RdsControlPlane.TENANT_TAG, "?"));
        }
      }
    } catch (RuntimeException | SQLException e) {
      LOG.warn("Cannot list restored copies left by earlier runs: {}", e.getMessage());
    }
    return swept;
  }

  /**
   * {@code tf-<tenant>-<run id>}: a valid DB instance identifier (letters, digits, single hyphens,
   * at most 63).
   */
  static String copyId(String tenantId, String runId) {
    String run = runId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    String tenant = tenantId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    int room = 63 - "tf-".length() - 1 - run.length();
    if (tenant.length() > room) {
      tenant = tenant.substring(0, room);
    }
    return ("tf-" + tenant + "-" + run).replaceAll("-+", "-").replaceAll("-$", "");
  }

  /** The tenant's URL with the copy's host and port: same database and parameters. */
  static String copyUrl(String url, String host, int port) {
    String rest = url.substring("jdbc:postgresql:".length());
    if (rest.startsWith("//")) {
      int slash = rest.indexOf('/', 2);
      rest = slash < 0 ? "/" : rest.substring(slash);
    } else {
      rest = "/" + rest;
    }
    return "jdbc:postgresql://" + host + ":" + port + rest;
  }
}
