package dev.tenantfold.catchup;

import dev.tenantfold.config.CatchUpConfig;
import dev.tenantfold.config.RestoreConfig;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What {@code catch-up.mode = logical} needs on a tenant's source, checked at plan time so {@code
 * plan} refuses what {@code run} would fail on: logical decoding on, the replication right, a free
 * slot and WAL sender, a replica identity the changes can be replayed by on every table, and a
 * publication covering the tables (or the right to create one). Each problem is one sentence naming
 * the tenant (and table) and what to do.
 */
public final class SourcePrerequisites {
  private SourcePrerequisites() {}

  /**
   * Fails with every problem found (one sentence each) when {@code tenant} asks for logical
   * catch-up and its source cannot give it; does nothing otherwise.
   */
  public static void require(TenantConfig tenant, List<TableSpec> tables, RulesConfig rules)
      throws SQLException {
    if (!tenant.catchUp().logical()) {
      return;
    }
    List<String> problems = new ArrayList<>(copyProblems(tenant));
    try (Connection conn =
        tenant.catchUpSource().connect("tenantfold-catchup-plan-" + tenant.id())) {
      problems.addAll(check(conn, tenant.id(), tenant.catchUp(), tables, rules));
    }
    if (!problems.isEmpty()) {
      throw new SQLException(String.join("; ", problems));
    }
  }

  /**
   * What a tenant read from a restored copy needs for catch-up: a copy restored to a point after
   * the slot's creation. A snapshot ({@code restore.from = latest-snapshot | snapshot:<id>}) was
   * taken before any slot the run creates, so the changes between them would be lost.
   */
  static List<String> copyProblems(TenantConfig tenant) {
    if (tenant.restore().isEmpty()
        || tenant.restore().get().from().kind() == RestoreConfig.From.Kind.LATEST_RESTORABLE_TIME) {
      return List.of();
    }
    return List.of(
        "Cannot catch up tenant "
            + tenant.id()
            + " (catch-up.mode = logical) from a copy restored from an existing snapshot"
            + " (restore.from = "
            + tenant.restore().get().from()
            + "): the snapshot was taken before the replication slot a run creates, so the"
            + " changes between them would be lost; use restore.from = latest-restorable-time"
            + " (the run creates the slot on production, then restores to a later point), or set"
            + " catch-up.mode = none");
  }

  /** The problems found; empty when catch-up can start. */
  public static List<String> check(
      Connection conn,
      String tenantId,
      CatchUpConfig config,
      List<TableSpec> tables,
      RulesConfig rules)
      throws SQLException {
    List<String> problems = new ArrayList<>();
    String prefix = "Cannot catch up tenant " + tenantId + " (catch-up.mode = logical): ";
    String walLevel = setting(conn, "wal_level");
    if (!"logical".equals(walLevel)) {
      problems.add(
          prefix
              + "the source's wal_level is "
              + walLevel
              + "; logical decoding needs wal_level = logical (on RDS and Aurora: set"
              + " rds.logical_replication = 1 in the instance's parameter group and reboot the"
              + " instance)");
    }
    if (!bool(
        conn,
        "SELECT r.rolsuper OR r.rolreplication OR (to_regrole('rds_replication') IS NOT NULL AND"
            + " pg_has_role(current_user, 'rds_replication', 'MEMBER')) FROM pg_roles r WHERE"
            + " r.rolname = current_user")) {
      problems.add(
          prefix
              + "the source role may not replicate: ALTER ROLE <role> REPLICATION (on RDS: GRANT"
              + " rds_replication TO <role>)");
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM"
                + " pg_replication_slots WHERE slot_name <> ?),"
                + " current_setting('max_wal_senders')::int - (SELECT count(*) FROM"
                + " pg_stat_replication)")) {
      ps.setString(1, config.slot());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getInt(1) < 1) {
          problems.add(
              prefix
                  + "every replication slot of the source is taken (max_replication_slots); drop an"
                  + " unused slot (pg_replication_slots) or raise max_replication_slots (a"
                  + " restart)");
        }
        if (rs.getInt(2) < 1) {
          problems.add(
              prefix
                  + "every WAL sender of the source is busy (max_wal_senders); raise"
                  + " max_wal_senders (a restart)");
        }
      }
    }
    List<TableSpec> publishable = new ArrayList<>();
    for (TableSpec table : tables) {
      String identity = replicaIdentity(conn, table);
      String named = prefix + "table " + table.qualifiedName() + " ";
      if (table.primaryKey().isEmpty()) {
        problems.add(
            named
                + "has no primary key: its changes cannot be replayed by key (and a table without"
                + " a usable replica identity is never added to a publication: PostgreSQL would"
                + " refuse its UPDATE and DELETE); add a primary key, or leave the tenant's"
                + " catch-up off");
        continue;
      }
      if ("n".equals(identity)) {
        problems.add(
            named
                + "has REPLICA IDENTITY NOTHING: its updates and deletes cannot be replayed; ALTER"
                + " TABLE "
                + Sql.qualified(table.schema(), table.name())
                + " REPLICA IDENTITY DEFAULT");
        continue;
      }
      String unsupported = unsupportedRule(rules.forTable(table.key()), table);
      if (unsupported != null) {
        problems.add(named + unsupported);
        continue;
      }
      String unreadable = unreadableSequences(conn, table);
      if (!unreadable.isEmpty()) {
        problems.add(
            named
                + "draws ids from sequences "
                + unreadable
                + " the source role may not read; cutover moves the target's sequences past"
                + " their positions: GRANT SELECT ON ALL SEQUENCES IN SCHEMA "
                + Sql.ident(table.schema())
                + " TO <role>");
      }
      publishable.add(table);
    }
    problems.addAll(publicationProblems(conn, prefix, config.publication(), publishable));
    problems.addAll(Freeze.problems(conn, tenantId, config.freezeRoles()));
    return problems;
  }

  /**
   * What catch-up cannot apply of {@code rule} (docs/catch-up.md, "Tables under rules"), as the end
   * of a sentence; null when it applies all of it.
   */
  static String unsupportedRule(TableRule rule, TableSpec table) {
    List<String> casts =
        rule.columns().values().stream()
            .filter(c -> c.cast().isPresent())
            .map(c -> c.column())
            .toList();
    List<String> castKey = table.primaryKey().stream().filter(casts::contains).toList();
    if (!castKey.isEmpty()) {
      return "casts primary key columns "
          + castKey
          + " (a rule in "
          + rule.path()
          + "): catch-up replays changes by the key and cannot match a cast key; leave the"
          + " tenant's catch-up off or the cast out";
    }
    if (rule.dedup().isPresent()) {
      List<String> castDedup = rule.dedup().get().key().stream().filter(casts::contains).toList();
      if (!castDedup.isEmpty()) {
        return "casts dedup key columns "
            + castDedup
            + " (a rule in "
            + rule.path()
            + "): catch-up finds a dedup key's rows by the source values; leave the tenant's"
            + " catch-up off or the cast out";
      }
      if (rule.shared().isPresent()) {
        return "is shared and deduplicated ("
            + rule.path()
            + "): catch-up of that combination is not built; leave the tenant's catch-up off";
      }
    }
    return null;
  }

  /**
   * A publication the tenant's changes can be read through: an existing one (a DBA's) must cover
   * {@code tables}; a missing one must be creatable by the role, else the SQL for the DBA.
   */
  private static List<String> publicationProblems(
      Connection conn, String prefix, String publication, List<TableSpec> tables)
      throws SQLException {
    if (tables.isEmpty()) {
      return List.of();
    }
    if (PublicationSql.exists(conn, publication)) {
      Set<String> missing = PublicationSql.uncovered(conn, publication, tables);
      if (missing.isEmpty()) {
        return List.of();
      }
      return List.of(
          prefix
              + "publication "
              + publication
              + " does not publish tables "
              + missing
              + "; add them: ALTER PUBLICATION "
              + Sql.ident(publication)
              + " ADD TABLE "
              + String.join(", ", missing));
    }
    if (mayCreate(conn, tables)) {
      return List.of();
    }
    return List.of(
        prefix
            + "publication "
            + publication
            + " does not exist and the source role may not create it (CREATE PUBLICATION needs"
            + " ownership of the tables); have a DBA run: "
            + PublicationSql.create(publication, tables));
  }

  private static boolean mayCreate(Connection conn, List<TableSpec> tables) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR"
                + " (has_database_privilege(current_database(), 'CREATE') AND NOT EXISTS (SELECT 1"
                + " FROM unnest(?::text[]) t(name) JOIN pg_class c ON c.oid = t.name::regclass"
                + " WHERE NOT pg_has_role(current_user, c.relowner, 'USAGE')))")) {
      ps.setArray(
          1,
          conn.createArrayOf(
              "text", tables.stream().map(t -> Sql.qualified(t.schema(), t.name())).toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The table's serial and identity sequences the role may not read, comma-separated. */
  private static String unreadableSequences(Connection conn, TableSpec table) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT string_agg(s, ', ') FROM (SELECT pg_get_serial_sequence(?, attname) s FROM"
                + " pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT"
                + " attisdropped) x WHERE s IS NOT NULL AND NOT has_sequence_privilege(s,"
                + " 'SELECT')")) {
      String relation = Sql.qualified(table.schema(), table.name());
      ps.setString(1, relation);
      ps.setString(2, relation);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1) == null ? "" : rs.getString(1);
      }
    }
  }

  private static String replicaIdentity(Connection conn, TableSpec table) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT relreplident::text FROM pg_class WHERE oid = ?::regclass")) {
      ps.setString(1, Sql.qualified(table.schema(), table.name()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  static String setting(Connection conn, String name) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT current_setting(?)")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static boolean bool(Connection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  static Set<String> names(List<TableSpec> tables) {
    return tables.stream()
        .map(t -> Sql.qualified(t.schema(), t.name()))
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }
}
