package dev.tenantfold.extract;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.jdbc.SearchPath;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reads tables, columns, types, primary and foreign keys and size estimates from a PostgreSQL
 * catalog. Used on sources (inside the tenant's snapshot) and on the target (existing tables).
 */
public final class CatalogReader {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(CatalogReader.class);
  private static final String TABLES_SQL =
      """
      SELECT c.oid, n.nspname, c.relname, c.relkind = 'p' AS partitioned,
             CASE WHEN c.relkind = 'p' THEN
               (SELECT coalesce(sum(greatest(pc.reltuples, 0)), 0)::bigint
                  FROM pg_partition_tree(c.oid) pt JOIN pg_class pc ON pc.oid = pt.relid WHERE pt.isleaf)
             ELSE c.reltuples::bigint END AS reltuples,
             CASE WHEN c.relkind = 'p' THEN
               (SELECT coalesce(sum(pc.relpages), 0)::bigint FROM pg_partition_tree(c.oid) pt JOIN pg_class pc ON pc.oid = pt.relid WHERE pt.isleaf)
             ELSE c.relpages::bigint END AS relpages,
             -- A partitioned table has no storage of its own: its size is its leaves' (estimates for a never-analyzed table).
             CASE WHEN c.relkind = 'p' THEN
               (SELECT coalesce(sum(pg_relation_size(pt.relid)), 0) FROM pg_partition_tree(c.oid) pt WHERE pt.isleaf)
             ELSE pg_relation_size(c.oid) END / current_setting('block_size')::int AS pages
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY (?) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       ORDER BY c.relname, n.nspname
      """;
  private static final String COLUMNS_SQL =
      """
      SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
             bt.typtype, t.typcategory = 'A' AS is_array, bet.typtype AS elem_typtype,
             CASE WHEN bt.typtype = 'e' THEN bt.typname WHEN bet.typtype = 'e' THEN bet.typname END AS enum_name,
             CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
                  WHEN et.typtype = 'd' THEN format_type(et.typbasetype, et.typtypmod) || '[]' END AS domain_base,
             pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attidentity <> '' AS identity, a.attgenerated <> '' AS generated,
             -- A domain (also one over an enum), or an array of a domain over a non-enum type, marked [].
             CASE WHEN t.typtype IN ('d', 'c') THEN t.typname WHEN et.typtype = 'd' AND bet.typtype <> 'e' THEN et.typname || '[]' END AS domain_name,
             CASE WHEN bt.typtype = 'e' THEN (SELECT nspname FROM pg_namespace WHERE oid = bt.typnamespace)
                  WHEN bet.typtype = 'e' THEN (SELECT nspname FROM pg_namespace WHERE oid = bet.typnamespace) END AS enum_schema,
             (SELECT nspname FROM pg_namespace WHERE oid = CASE WHEN et.typtype = 'd' THEN et.typnamespace ELSE t.typnamespace END) AS type_schema,
             -- A composite type of its own (CREATE TYPE ... AS), not the row type of a table.
             t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c') AS standalone_composite
        FROM pg_attribute a
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        JOIN pg_type t ON t.oid = a.atttypid
        JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
        LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
        LEFT JOIN pg_type bet ON bet.oid = CASE WHEN et.typtype = 'd' THEN et.typbasetype ELSE et.oid END
       WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum
      """;
  private static final String PRIMARY_KEY_SQL =
      """
      SELECT a.attname
        FROM pg_index i
        JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = ? AND i.indisprimary
       ORDER BY k.ord
      """;
  private static final String FOREIGN_KEYS_SQL =
      """
      SELECT con.conname,
             ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, ord)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.ord) AS cols,
             rc.relname AS ref_table, (SELECT nspname FROM pg_namespace WHERE oid = rc.relnamespace) AS ref_schema,
             ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, ord)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.ord) AS ref_cols,
             con.confdeltype, con.confupdtype, con.confmatchtype, con.condeferrable, con.condeferred,
             -- confdelsetcols exists from PostgreSQL 15: read through to_jsonb, NULL before.
             ARRAY(SELECT a.attname FROM jsonb_array_elements_text(CASE jsonb_typeof(to_jsonb(con) -> 'confdelsetcols') WHEN 'array' THEN to_jsonb(con) -> 'confdelsetcols' ELSE '[]' END) WITH ORDINALITY x(n, ord)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = x.n::int2 ORDER BY x.ord) AS set_cols
        FROM pg_constraint con JOIN pg_class rc ON rc.oid = con.confrelid
       WHERE con.conrelid = ? AND con.contype = 'f'
       ORDER BY con.conname
      """;

  /**
   * Foreign keys declared on the leaf partitions of a partitioned table themselves (not inherited
   * from a parent), as {@link #FOREIGN_KEYS_SQL} reads them, with the partition's name.
   */
  private static final String PARTITION_FOREIGN_KEYS_SQL =
      FOREIGN_KEYS_SQL
          .replace("SELECT con.conname,", "SELECT con.conname, con.conrelid,")
          .replace(
              "WHERE con.conrelid = ? AND con.contype = 'f'",
              "WHERE con.conrelid IN (SELECT relid FROM pg_partition_tree(?::oid) WHERE isleaf)"
                  + " AND con.contype = 'f' AND con.conparentid = 0");

  /**
   * Every leaf partition of a partitioned table, at any depth, in any schema (pg_partition_tree:
   * PostgreSQL 12+).
   */
  private static final String LEAVES_SQL =
      """
      SELECT n.nspname || '.' || c.relname
        FROM pg_partition_tree(?::oid) pt
        JOIN pg_class c ON c.oid = pt.relid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE pt.isleaf
       ORDER BY n.nspname, c.relname
      """;

  private static final String ENUMS_SQL =
      """
      SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
        FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
        JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
       GROUP BY n.nspname, t.typname
      """;

  private CatalogReader() {}

  /**
   * Reads every selected table of {@code schemas}; fails naming the table if a type is unsupported.
   */
  public static TenantCatalog read(
      Connection conn, String tenantId, List<String> schemas, TablesConfig tables)
      throws SQLException {
    // Defaults and generated expressions print names relative to the search path: the tenant's
    // schemas, as the target replays them.
    return SearchPath.with(
        conn, schemas, () -> read(conn, tenantId, schemas, tables, UnaryOperator.identity()));
  }

  /**
   * Reads the target's consolidated tables: those of every target schema the {@code sourceSchemas}
   * map to, each keyed as the source table that consolidates into it ({@link
   * SchemaMap#keyOfTarget}), so the plan merges them with the tenants' tables of the same key.
   */
  public static TenantCatalog readTarget(
      Connection conn, SchemaMap map, List<String> sourceSchemas, TablesConfig tables)
      throws SQLException {
    return SearchPath.with(
        conn,
        map.searchPath(sourceSchemas),
        () -> read(conn, "target", map.targetSchemas(sourceSchemas), tables, map::sourceSchemaFor));
  }

  /**
   * Reads the selected tables of {@code schemas}; {@code sourceSchema} names the source schema each
   * schema's objects are keyed by (itself for a tenant; the source schema mapped there for the
   * target).
   */
  private static TenantCatalog read(
      Connection conn,
      String tenantId,
      List<String> schemas,
      TablesConfig tables,
      UnaryOperator<String> sourceSchema)
      throws SQLException {
    requireConvertibleEncoding(conn, tenantId);
    List<TableSpec> specs = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(TABLES_SQL)) {
      ps.setArray(1, conn.createArrayOf("text", schemas.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String schema = sourceSchema.apply(rs.getString(2));
          String name = rs.getString(3);
          if (!tables.selects(schema, name)) {
            continue;
          }
          if (schema.contains(".")
              || (SchemaMap.DEFAULT_SOURCE.equals(schema) && name.contains("."))) {
            throw new SQLException(
                "Cannot consolidate tenant "
                    + tenantId
                    + ": table "
                    + rs.getString(2)
                    + "."
                    + name
                    + " has a '.' in its schema or table name, which tenantfold uses between schema"
                    + " and table; rename it, or leave it out with "
                    + TablesConfig.EXCLUDE.path());
          }
          long oid = rs.getLong(1);
          long reltuples = rs.getLong(5);
          long relpages = rs.getLong(6);
          long pages = rs.getLong(7);
          boolean partitioned = rs.getBoolean(4);
          String qualified = rs.getString(2) + "." + name;
          specs.add(
              new TableSpec(
                  schema,
                  name,
                  columns(conn, oid, tenantId, qualified, sourceSchema),
                  partitioned
                      ? partitionedKey(conn, oid, tenantId, qualified)
                      : primaryKey(conn, oid),
                  foreignKeys(conn, oid, sourceSchema, partitioned),
                  estimateRows(reltuples, relpages, pages),
                  pages,
                  partitioned,
                  partitioned ? leafPartitions(conn, oid) : List.of()));
        }
      }
    }
    return new TenantCatalog(
        tenantId, serverVersion(conn), specs, enums(conn, specs, sourceSchema));
  }

  /**
   * Refuses a SQL_ASCII database before anything is extracted. Every other server encoding (LATIN1,
   * WIN1252, EUC_JP, ...) is converted by the server to the UTF8 client encoding pgjdbc sets, in
   * COPY output and query results alike. SQL_ASCII declares no encoding: the server passes its
   * bytes through unconverted and unchecked, so the target would receive (and the checksums would
   * hash) bytes whose meaning nobody knows.
   */
  static void requireConvertibleEncoding(Connection conn, String tenantId) throws SQLException {
    try (var st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT datname, pg_encoding_to_char(encoding) FROM pg_database WHERE datname ="
                    + " current_database()")) {
      if (!rs.next() || !"SQL_ASCII".equals(rs.getString(2))) {
        return;
      }
      boolean target = "target".equals(tenantId);
      String who = target ? "the target" : "tenant " + tenantId;
      String urlKey = target ? TargetConfig.URL.path() : "tenant " + tenantId + "'s jdbc.url";
      throw new SQLException(
          "Cannot read "
              + who
              + ": database "
              + rs.getString(1)
              + " has encoding SQL_ASCII, which passes bytes through without conversion, so its"
              + " text cannot be converted to UTF-8 reliably; convert it to a UTF8 database first"
              + " (pg_dump --encoding=<the encoding the applications really wrote, e.g. LATIN1>,"
              + " then restore into a database created with ENCODING 'UTF8') and point "
              + urlKey
              + " at the copy",
          "22021");
    }
  }

  static long estimateRows(long reltuples, long relpages, long pages) {
    if (reltuples > 0 && relpages > 0) {
      return Math.max(reltuples, Math.round((double) reltuples / relpages * pages));
    }
    if (reltuples > 0) {
      return reltuples;
    }
    // Never analyzed: assume ~60 rows a page so a large fresh table still splits.
    return pages * 60;
  }

  public static int serverVersion(Connection conn) throws SQLException {
    try (var st = conn.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }

  private static List<ColumnSpec> columns(
      Connection conn, long oid, String tenantId, String table, UnaryOperator<String> sourceSchema)
      throws SQLException {
    List<ColumnSpec> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(COLUMNS_SQL)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          String type = rs.getString(2);
          String typtype = rs.getString(4);
          boolean isArray = rs.getBoolean(5);
          String elemTyptype = rs.getString(6);
          if (("c".equals(typtype) && !rs.getBoolean(15)) || "c".equals(elemTyptype)) {
            throw new SQLException(
                "Cannot extract tenant "
                    + tenantId
                    + " table "
                    + table
                    + " column "
                    + name
                    + ": type "
                    + type
                    + " (a table's row type, a domain over a composite type, or an array of"
                    + " composites) is not supported (composite types of their own are); exclude"
                    + " the table or change the column to jsonb");
          }
          if (rs.getString(8) != null) {
            // A domain's column plans by its base type (widening, comparisons); the target declares
            // it with the domain (targetType).
            type = rs.getString(8);
          }
          // An enum is keyed like a table: qualified by its (source) schema unless that is public.
          String enumKey =
              rs.getString(7) == null
                  ? null
                  : SchemaMap.key(sourceSchema.apply(rs.getString(13)), rs.getString(7));
          // A domain or composite type too: keyed by its schema, created in the target schema that
          // schema maps to.
          String domainKey =
              rs.getString(12) == null
                  ? null
                  : SchemaMap.key(sourceSchema.apply(rs.getString(14)), rs.getString(12));
          if (rs.getBoolean(15)) {
            // A composite has no base type to plan by: its key names it alike in every tenant and
            // in the target, however a search
            // path would print it.
            type = domainKey;
          }
          String defaultExpr = rs.getString(9);
          boolean bySequence =
              rs.getBoolean(10) || (defaultExpr != null && defaultExpr.startsWith("nextval("));
          if (rs.getBoolean(11)) {
            // A generated column's expression is not a default: the target recreates the column
            // generated, and computes it.
            out.add(
                new ColumnSpec(
                    name,
                    type,
                    rs.getBoolean(3),
                    enumKey,
                    isArray,
                    null,
                    false,
                    defaultExpr,
                    domainKey));
            continue;
          }
          out.add(
              new ColumnSpec(
                  name,
                  type,
                  rs.getBoolean(3),
                  enumKey,
                  isArray,
                  bySequence ? null : defaultExpr,
                  bySequence,
                  null,
                  domainKey));
        }
      }
    }
    return out;
  }

  private static List<String> primaryKey(Connection conn, long oid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(PRIMARY_KEY_SQL)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /**
   * The key of a partitioned table: its own, or, when only its partitions have one (PostgreSQL
   * wants a parent's key to include the partition key, so schemas such as Pagila's {@code payment}
   * put it on each partition), the key every leaf partition shares. Empty, with a log line, when
   * the leaves disagree or one has none: the table is then consolidated without a key.
   */
  private static List<String> partitionedKey(
      Connection conn, long oid, String tenantId, String table) throws SQLException {
    List<String> own = primaryKey(conn, oid);
    if (!own.isEmpty()) {
      return own;
    }
    List<String> shared = null;
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT relid::oid FROM pg_partition_tree(?::oid) WHERE isleaf")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        List<Long> leaves = new ArrayList<>();
        while (rs.next()) {
          leaves.add(rs.getLong(1));
        }
        for (long leaf : leaves) {
          List<String> key = primaryKey(conn, leaf);
          if (key.isEmpty() || (shared != null && !shared.equals(key))) {
            LOG.info(
                "Tenant {} table {}: no primary key, and its partitions do not share one;"
                    + " consolidated without a key",
                tenantId,
                table);
            return List.of();
          }
          shared = key;
        }
      }
    }
    if (shared != null) {
      LOG.info(
          "Tenant {} table {}: keyed by {}, the primary key all its partitions share",
          tenantId,
          table,
          shared);
    }
    return shared == null ? List.of() : shared;
  }

  private static List<ForeignKeySpec> foreignKeys(
      Connection conn, long oid, UnaryOperator<String> sourceSchema, boolean partitioned)
      throws SQLException {
    List<ForeignKeySpec> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(FOREIGN_KEYS_SQL)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(foreignKey(rs, 0, sourceSchema));
        }
      }
    }
    if (!partitioned) {
      return out;
    }
    // Keys declared on partitions (Pagila's payment_p2022_01 .. 06), not on the table: kept, each
    // shape once, to be recreated on the tenant's partition.
    java.util.Map<String, ForeignKeySpec> byShape = new java.util.LinkedHashMap<>();
    out.forEach(k -> byShape.put(k.shape(), k));
    try (PreparedStatement ps = conn.prepareStatement(PARTITION_FOREIGN_KEYS_SQL)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ForeignKeySpec key = foreignKey(rs, 1, sourceSchema).onPartitions(true);
          byShape.putIfAbsent(key.shape(), key);
        }
      }
    }
    return List.copyOf(byShape.values());
  }

  /** The key in the current row of a {@link #FOREIGN_KEYS_SQL} result, {@code shift} columns on. */
  private static ForeignKeySpec foreignKey(
      ResultSet rs, int shift, UnaryOperator<String> sourceSchema) throws SQLException {
    String referenced =
        SchemaMap.key(sourceSchema.apply(rs.getString(4 + shift)), rs.getString(3 + shift));
    return new ForeignKeySpec(
        rs.getString(1),
        strings(rs.getArray(2 + shift)),
        referenced,
        strings(rs.getArray(5 + shift)),
        rs.getString(6 + shift).charAt(0),
        rs.getString(7 + shift).charAt(0),
        rs.getString(8 + shift).charAt(0),
        rs.getBoolean(9 + shift),
        rs.getBoolean(10 + shift),
        strings(rs.getArray(11 + shift)),
        false);
  }

  private static List<String> leafPartitions(Connection conn, long oid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(LEAVES_SQL)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /**
   * The enum types the tables' columns use (only those: types of schemas not consolidated are not
   * created), by key.
   */
  private static Map<String, EnumSpec> enums(
      Connection conn, List<TableSpec> tables, UnaryOperator<String> sourceSchema)
      throws SQLException {
    java.util.Set<String> used = new java.util.HashSet<>();
    tables.forEach(
        t ->
            t.columns().stream()
                .map(ColumnSpec::enumType)
                .filter(e -> e != null)
                .forEach(used::add));
    Map<String, EnumSpec> out = new HashMap<>();
    try (var st = conn.createStatement();
        ResultSet rs = st.executeQuery(ENUMS_SQL)) {
      while (rs.next()) {
        String key = SchemaMap.key(sourceSchema.apply(rs.getString(1)), rs.getString(2));
        if (used.contains(key)) {
          out.put(key, new EnumSpec(key, strings(rs.getArray(3))));
        }
      }
    }
    return out;
  }

  private static List<String> strings(Array array) throws SQLException {
    return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
  }
}
