package dev.tenantfold.progress;

import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The one place Spark jobs get their names, so the Spark UI and the history server say what each
 * job is: the job group is {@code tenantfold-<run id>-<tenant>} (one group per tenant of a run, so
 * it can be cancelled as one), the description names the command, the stage, the tenant and the
 * table(s): {@code tenantfold run 20261129T150000Z-ab12: transfer tenant acme table orders}. Spark
 * keeps both per thread; tenants run on threads of their own, so each names its own jobs.
 */
public final class SparkJobNames {
  private static final int TABLES_NAMED = 5;

  private SparkJobNames() {}

  /**
   * The description of the jobs a thread launches for {@code stage} of {@code tenantId}'s {@code
   * tables}.
   */
  public static String describe(
      String command, String runId, String stage, String tenantId, List<String> tables) {
    String named =
        switch (tables.size()) {
          case 0 -> "";
          case 1 -> " table " + tables.get(0);
          default ->
              " tables "
                  + String.join(", ", tables.subList(0, Math.min(TABLES_NAMED, tables.size())))
                  + (tables.size() > TABLES_NAMED
                      ? " and " + (tables.size() - TABLES_NAMED) + " more"
                      : "");
        };
    return "tenantfold " + command + " " + runId + ": " + stage + " tenant " + tenantId + named;
  }

  /**
   * Names the jobs this thread launches from now on (group and description); {@link #clear} when
   * done.
   */
  public static void set(
      SparkContext spark,
      String command,
      String runId,
      String stage,
      String tenantId,
      List<String> tables) {
    spark.setJobGroup(
        "tenantfold-" + runId + "-" + tenantId,
        describe(command, runId, stage, tenantId, tables),
        true);
  }

  /**
   * As {@link #set}, on the active (or default) session, if there is one: for code that may or may
   * not use Spark.
   */
  public static void setIfActive(
      String command, String runId, String stage, String tenantId, List<String> tables) {
    active().ifPresent(sc -> set(sc, command, runId, stage, tenantId, tables));
  }

  /** Changes only the description, keeping the thread's job group. */
  public static void describeNext(
      SparkContext spark,
      String command,
      String runId,
      String stage,
      String tenantId,
      List<String> tables) {
    spark.setJobDescription(describe(command, runId, stage, tenantId, tables));
  }

  public static void clear(SparkContext spark) {
    spark.clearJobGroup();
  }

  public static void clearIfActive() {
    active().ifPresent(SparkJobNames::clear);
  }

  private static java.util.Optional<SparkContext> active() {
    scala.Option<SparkSession> session =
        SparkSession.getActiveSession().isDefined()
            ? SparkSession.getActiveSession()
            : SparkSession.getDefaultSession();
    return session.isDefined() && !session.get().sparkContext().isStopped()
        ? java.util.Optional.of(session.get().sparkContext())
        : java.util.Optional.empty();
  }
}
