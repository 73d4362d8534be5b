package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The types the consolidated tables' columns need before the tables: the tenants' enum types
 * (labels added where the plan puts them) and the domains and composite types they declare.
 */
final class TargetTypes {
  private final DdlContext ctx;
  private final SchemaMap schemas;
  private final String tenantColumn;

  TargetTypes(DdlContext ctx) {
    this.ctx = ctx;
    this.schemas = ctx.schemas;
    this.tenantColumn = ctx.tenantColumn;
  }

  /** The domains the planned columns are declared with (keys), each once. */
  static Set<String> domainsUsed(TargetSchema target) {
    Set<String> domains = new java.util.TreeSet<>();
    target
        .tables()
        .values()
        .forEach(
            t ->
                t.columns().stream()
                    .map(ColumnSpec::domainKey)
                    .filter(d -> d != null)
                    .forEach(domains::add));
    return domains;
  }

  private void ensureEnum(Connection conn, Statement st, EnumSpec e) throws SQLException {
    List<String> existing = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN"
                + " pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ? AND t.typname = ?"
                + " ORDER BY e.enumsortorder")) {
      ps.setString(1, schemas.targetSchemaOf(e.name()));
      ps.setString(2, SchemaMap.nameOf(e.name()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          existing.add(rs.getString(1));
        }
      }
    }
    String type = schemas.relation(e.name());
    if (existing.isEmpty()) {
      st.execute(
          "CREATE TYPE "
              + type
              + " AS ENUM ("
              + String.join(", ", e.labels().stream().map(Sql::literal).toList())
              + ")");
      return;
    }
    // A new label goes where the plan puts it (after its predecessor), so the order, and with it <
    // and ORDER BY, stays the source's.
    for (int i = 0; i < e.labels().size(); i++) {
      String label = e.labels().get(i);
      if (!existing.contains(label)) {
        String place =
            i > 0 && existing.contains(e.labels().get(i - 1))
                ? " AFTER " + literal(e.labels().get(i - 1))
                : i + 1 < e.labels().size() && existing.contains(e.labels().get(i + 1))
                    ? " BEFORE " + literal(e.labels().get(i + 1))
                    : "";
        st.execute("ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS " + literal(label) + place);
        existing.add(label);
      }
    }
  }

  /**
   * Creates or extends each enum type of {@code target}, each in its own transaction; returns, per
   * enum that could not be, the reason (its schema's problem, or the server's).
   */
  Map<String, String> ensureEnums(
      Connection conn,
      Statement st,
      TargetSchema target,
      String timeout,
      Map<String, String> schemaProblems)
      throws SQLException {
    Map<String, String> problems = new java.util.TreeMap<>();
    for (EnumSpec e : target.enums().values()) {
      if (schemaProblems.containsKey(schemas.targetSchemaOf(e.name()))) {
        problems.put(e.name(), schemaProblems.get(schemas.targetSchemaOf(e.name())));
        continue;
      }
      try {
        DdlContext.serialize(st, timeout);
        ensureEnum(conn, st, e);
        conn.commit();
      } catch (SQLException ex) {
        conn.rollback();
        problems.put(
            e.name(),
            "Cannot create or extend enum type "
                + schemas.relation(e.name())
                + ": "
                + ctx.reason(ex));
      }
    }
    return problems;
  }

  /**
   * Creates the composite types and domains the planned columns use, before the tables (composites
   * first: a domain is over a base type), each in its own transaction under {@code searchPath};
   * returns, per type the target cannot create, the reason (it fails the tables using it).
   */
  Map<String, String> ensureDomains(
      Connection conn,
      Statement st,
      TargetSchema target,
      String timeout,
      String searchPath,
      Map<String, String> schemaProblems)
      throws SQLException {
    Map<String, String> problems = new java.util.TreeMap<>();
    List<String> types = new ArrayList<>(domainsUsed(target));
    types.sort(Comparator.comparing((String k) -> target.code().composite(k).isEmpty()));
    for (String domain : types) {
      var composite = target.code().composite(domain);
      try {
        DdlContext.serialize(st, timeout);
        st.execute(searchPath);
        if (schemaProblems.containsKey(schemas.targetSchemaOf(domain))) {
          throw new SQLException(schemaProblems.get(schemas.targetSchemaOf(domain)));
        }
        if (Queries.bool(conn, "SELECT to_regtype(?) IS NOT NULL", schemas.relation(domain))) {
          conn.commit();
          continue;
        }
        if (composite.isPresent()) {
          st.execute(composite.get().createSql(schemas.relation(domain), schemas::requalify));
        } else {
          var spec = target.code().domain(domain);
          if (spec.isEmpty()) {
            throw new SQLException("no tenant's catalog defines it");
          }
          st.execute(spec.get().rewritten(schemas::requalify).createSql(schemas.relation(domain)));
        }
        conn.commit();
      } catch (SQLException ex) {
        conn.rollback();
        problems.put(
            domain,
            "Cannot create "
                + (composite.isPresent() ? "composite type " : "domain ")
                + schemas.relation(domain)
                + ": "
                + ctx.reason(ex));
      }
    }
    return problems;
  }
}
