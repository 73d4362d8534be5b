package dev.tenantfold.catchup;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Keeps the consolidated tables' user triggers from firing for the changes catch-up applies, as
 * PostgreSQL's own logical replication does, without superuser ({@code session_replication_role}
 * needs it): a tenant's partitions have their user triggers disabled ({@code ALTER TABLE partition
 * DISABLE TRIGGER USER}, which the table's owner may run) while the tenant is caught up and not yet
 * cut over, and enabled again at cutover ({@link #enable}). Only the tenant's own partitions are
 * touched: other tenants' rows go on firing the triggers. Internal triggers (foreign keys) stay.
 */
public final class TriggerGuard {
  private TriggerGuard() {}

  /** How long the {@code ALTER TABLE} may wait for the partition's lock. */
  static final String LOCK_TIMEOUT = "10s";

  /**
   * Disables the enabled user triggers of each partition in {@code relations} (their own
   * transaction, committed); does nothing for a partition without any. Returns the partitions
   * changed.
   */
  static List<String> disable(Connection target, String tenantId, Collection<String> relations)
      throws SQLException {
    return alter(target, tenantId, relations, false);
  }

  /**
   * Enables again every user trigger of the tenant's partitions {@code relations} (the qualified
   * names of its partitions, e.g. {@code public.orders__acme}): for the cutover, so the
   * application's writes to the target fire them. Runs in its own committed transaction; returns
   * the partitions changed. A trigger a DBA disabled on a partition before catch-up began is
   * enabled too (catch-up does not record which were).
   */
  public static List<String> enable(
      Connection target, String tenantId, Collection<String> relations) throws SQLException {
    return alter(target, tenantId, relations, true);
  }

  private static List<String> alter(
      Connection target, String tenantId, Collection<String> relations, boolean enable)
      throws SQLException {
    List<String> changed = new ArrayList<>();
    boolean auto = target.getAutoCommit();
    target.setAutoCommit(false);
    try (PreparedStatement ps =
            target.prepareStatement(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal"
                    + " AND tgenabled "
                    + (enable ? "= 'D'" : "<> 'D'"));
        Statement st = target.createStatement()) {
      st.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
      for (String relation : relations) {
        ps.setString(1, relation);
        long n;
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          n = rs.getLong(1);
        }
        if (n > 0) {
          st.execute(
              "ALTER TABLE " + relation + (enable ? " ENABLE" : " DISABLE") + " TRIGGER USER");
          changed.add(relation);
        }
      }
      target.commit();
    } catch (SQLException e) {
      target.rollback();
      throw new SQLException(
          "Cannot "
              + (enable ? "enable" : "disable")
              + " the user triggers of tenant "
              + tenantId
              + "'s partitions "
              + relations
              + " (catch-up applies changes with them disabled, as logical replication does): "
              + e.getMessage()
              + "; the target role must own the consolidated tables, and no session may hold a"
              + " lock on them for "
              + LOCK_TIMEOUT,
          e.getSQLState(),
          e);
    } finally {
      target.setAutoCommit(auto);
    }
    return changed;
  }

  /**
   * {@link #enable} over every partition the tenant has of the tables its base copy planned (read
   * from the catch-up state): the one call the cutover makes before it records the tenant as cut
   * over.
   */
  public static List<String> enableForTenant(
      Connection target, String reportSchema, SchemaMap schemas, String tenantId)
      throws SQLException {
    List<String> partitions = new ArrayList<>();
    try (PreparedStatement ps =
        target.prepareStatement(
            "SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                + " WHERE i.inhparent = to_regclass(?) AND pg_get_expr(c.relpartbound, c.oid) ="
                + " ?")) {
      for (CatchUpState.PlannedTable table :
          CatchUpState.of(reportSchema).tables(target, tenantId)) {
        ps.setString(1, schemas.relation(table.key()));
        ps.setString(2, "FOR VALUES IN (" + Sql.literal(tenantId) + ")");
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            partitions.add(rs.getString(1));
          }
        }
      }
    }
    return enable(target, tenantId, partitions);
  }
}
