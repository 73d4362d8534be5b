package dev.tenantfold.job;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.source.SourcePreparations;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code cleanup} command: marks runs whose driver died as abandoned, then lists and drops the
 * staging tables that dead, failed or finished runs left, including those kept for inspection
 * ({@code load.keep-failed-staging}), and tables in the staging schema that no run recorded (left
 * by versions before the registry); and deletes the restored copies such runs left (tagged with
 * their run); and drops the replication slots and publications catch-up no longer needs and grants
 * back what a killed {@code cutover --freeze} revoked ({@link
 * dev.tenantfold.catchup.CatchUpCleanup}). Live runs' staging is never touched. {@code --dry-run}
 * only lists.
 */
public final class CleanupJob {
  private final TenantfoldConfig config;
  private final boolean dryRun;

  public CleanupJob(TenantfoldConfig config, boolean dryRun) {
    this.config = config;
    this.dryRun = dryRun;
  }

  /** What was (or, on a dry run, would be) dropped. */
  public record Result(List<String> dropped, List<String> liveRuns) {
    public Result {
      dropped = List.copyOf(dropped);
      liveRuns = List.copyOf(liveRuns);
    }
  }

  public Result execute(PrintStream out) throws SQLException {
    ReportStore reports = new ReportStore(config.target().reportSchema());
    StagingRegistry registry = new StagingRegistry(config.target().reportSchema());
    String runId = MigrationJob.newRunId(java.time.Instant.now());
    try (TargetSession session = new TargetSession(config.target().endpoint(), runId, "cleanup")) {
      Connection conn = session.connection();
      reports.ensureTables(conn);
      registry.ensureTable(conn);
      List<String> dead = reports.deadRuns(conn);
      List<String> dropped = new ArrayList<>(stagingOfDeadRuns(conn, reports, dead, out));
      if (!dryRun) {
        markAbandoned(conn, reports, out);
      }
      List<String> live = liveRuns(conn, reports, dead);
      // What prepared sources of runs no longer running left (restored copies), if any tenant's is.
      SourcePreparations.sweep(
          config,
          run -> reports.pastRun(conn, Optional.of(run)).map(ReportStore.PastRun::status),
          live,
          dryRun,
          out);
      dropped.addAll(dropLeftovers(conn, registry, live, dropped, out));
      if (live.isEmpty()) {
        dropped.addAll(dropUnregistered(conn, registry, dropped, out));
      } else {
        out.printf("runs still running: %s (their staging is left alone)%n", live);
      }
      // Replication slots and publications nobody will read, and grants a killed cutover --freeze
      // left revoked (docs/catch-up.md).
      new dev.tenantfold.catchup.CatchUpCleanup(
              config.tenants(), config.target().reportSchema(), dryRun)
          .execute(conn, live, out);
      out.printf(
          "%d staging tables %s%n",
          dropped.size(), dryRun ? "would be dropped (dry run: nothing changed)" : "dropped");
      return new Result(dropped, live);
    }
  }

  /**
   * The staging tables of dead runs (lock free, no session connected), listed by name: their
   * staging goes. Lists only; the tables are dropped when the runs are marked abandoned ({@link
   * #markAbandoned}), and the dry run changes nothing.
   */
  private List<String> stagingOfDeadRuns(
      Connection conn, ReportStore reports, List<String> dead, PrintStream out)
      throws SQLException {
    List<String> tables = new ArrayList<>();
    for (String run : dead) {
      for (String table : reports.stagingTablesOf(conn, config.target().stagingSchema(), run)) {
        out.printf(
            "%s %s (run %s: its driver stopped)%n", dryRun ? "would drop" : "dropped", table, run);
        tables.add(table);
      }
    }
    return tables;
  }

  /** Marks the runs whose driver stopped as abandoned, dropping their staging. */
  private void markAbandoned(Connection conn, ReportStore reports, PrintStream out)
      throws SQLException {
    for (String abandoned : reports.sweepAbandoned(conn, config.target().stagingSchema())) {
      out.printf("run %s: its driver stopped; marked abandoned%n", abandoned);
    }
  }

  /**
   * The runs still running, whose staging and restored copies are left alone. A dry run marked
   * nothing abandoned, so the dead runs it found are taken out here.
   */
  private List<String> liveRuns(Connection conn, ReportStore reports, List<String> dead)
      throws SQLException {
    List<String> live = new ArrayList<>(reports.runningRuns(conn));
    if (dryRun) {
      live.removeAll(dead);
    }
    return live;
  }

  /**
   * Drops the staging tables the registry records for runs that are not live (failed, finished or
   * kept for inspection), and returns those not already in {@code alreadyDropped}; a table already
   * listed is only removed from the registry.
   */
  private List<String> dropLeftovers(
      Connection conn,
      StagingRegistry registry,
      List<String> live,
      List<String> alreadyDropped,
      PrintStream out)
      throws SQLException {
    List<String> seen = new ArrayList<>(alreadyDropped);
    List<String> tables = new ArrayList<>();
    for (StagingRegistry.Leftover leftover : registry.leftovers(conn, live, true)) {
      if (seen.contains(leftover.qualifiedName())) {
        if (!dryRun) {
          registry.drop(conn, leftover);
        }
        continue;
      }
      out.printf(
          "%s %s (run %s, tenant %s, table %s, %s)%n",
          dryRun ? "would drop" : "dropped",
          leftover.qualifiedName(),
          leftover.runId(),
          leftover.tenantId(),
          leftover.tableName(),
          leftover.state());
      if (!dryRun) {
        registry.drop(conn, leftover);
      }
      seen.add(leftover.qualifiedName());
      tables.add(leftover.qualifiedName());
    }
    return tables;
  }

  /**
   * Drops the tables in the staging schema that no run recorded (left by versions before the
   * registry), and returns those not already in {@code alreadyDropped}. Called only when no run is
   * live: a live run's table could be one the registry does not know yet.
   */
  private List<String> dropUnregistered(
      Connection conn, StagingRegistry registry, List<String> alreadyDropped, PrintStream out)
      throws SQLException {
    List<String> tables = new ArrayList<>();
    for (String table : unregistered(conn, registry)) {
      if (alreadyDropped.contains(table) || tables.contains(table)) {
        continue;
      }
      out.printf("%s %s (not recorded by any run)%n", dryRun ? "would drop" : "dropped", table);
      if (!dryRun) {
        try (Statement st = conn.createStatement()) {
          st.execute("DROP TABLE IF EXISTS " + table);
        }
      }
      tables.add(table);
    }
    return tables;
  }

  /** Tables in the staging schema that the registry does not know. */
  private List<String> unregistered(Connection conn, StagingRegistry registry) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON"
                + " n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT"
                + " EXISTS (SELECT 1 FROM "
                + registry.table()
                + " o WHERE o.schema_name = n.nspname AND o.object_name = c.relname"
                + " AND o.state <> 'dropped') ORDER BY 2")) {
      ps.setString(1, config.target().stagingSchema());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(dev.tenantfold.jdbc.Sql.qualified(rs.getString(1), rs.getString(2)));
        }
      }
    }
    return out;
  }
}
