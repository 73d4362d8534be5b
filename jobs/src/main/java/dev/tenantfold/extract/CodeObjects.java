package dev.tenantfold.extract;

import dev.tenantfold.jdbc.SearchPath;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The code of one tenant's schemas that the consolidated tables do not carry by themselves:
 * functions and procedures, triggers, views and materialized views, read from the tenant's catalog
 * with the tenant's schemas on the search path, so definitions name their objects unqualified and
 * can be recreated in another schema ({@code pg_get_viewdef}, {@code pg_get_triggerdef}, {@code
 * pg_get_functiondef}).
 */
public record CodeObjects(
    List<ViewSpec> views,
    List<FunctionSpec> functions,
    List<TriggerSpec> triggers,
    List<DomainSpec> domains,
    List<DefaultCall> defaultCalls,
    List<String> extensions,
    List<CompositeSpec> composites,
    List<SequenceSpec> sequences,
    List<KeyName> primaryKeys) {
  public CodeObjects {
    primaryKeys = List.copyOf(primaryKeys);
    sequences = List.copyOf(sequences);
    composites = List.copyOf(composites);
    extensions = List.copyOf(extensions);
    views = List.copyOf(views);
    functions = List.copyOf(functions);
    triggers = List.copyOf(triggers);
    domains = List.copyOf(domains);
    defaultCalls = List.copyOf(defaultCalls);
  }

  public static CodeObjects none() {
    return new CodeObjects(
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of());
  }

  /**
   * The plain function (not a procedure or aggregate) of {@code signature} with a definition to
   * recreate.
   */
  public Optional<FunctionSpec> function(String signature) {
    return functions.stream()
        .filter(
            f ->
                f.signature().equals(signature)
                    && f.definition() != null
                    && f.kind().equals("function"))
        .findFirst();
  }

  /**
   * A column default that calls {@code function} (a signature), a function of the tenant's schemas.
   */
  public record DefaultCall(String table, String column, String function) {}

  /**
   * The sequence a serial or identity column draws from in the source: its name (without schema,
   * {@code id_employee_seq}) and its position when read ({@code pg_sequence_last_value}: null when
   * it never handed out a value, or the reader may not read it).
   */
  public record SequenceSpec(String table, String column, String name, Long lastValue) {
    /** The sequence of {@code table}'s {@code column} in {@code sequences}, if any. */
    public static Optional<SequenceSpec> of(
        List<SequenceSpec> sequences, String table, String column) {
      return sequences.stream()
          .filter(s -> s.table().equals(table) && s.column().equals(column))
          .findFirst();
    }
  }

  /** The name of a table's primary key constraint in the source ({@code pk_shippers}). */
  public record KeyName(String table, String name) {}

  /** The name of {@code table}'s (a key) primary key constraint in the source, if it has one. */
  public Optional<String> primaryKeyName(String table) {
    return primaryKeys.stream().filter(k -> k.table().equals(table)).map(KeyName::name).findFirst();
  }

  /** The sequence {@code column} of {@code table} (a key) draws from in the source, if known. */
  public Optional<SequenceSpec> sequence(String table, String column) {
    return SequenceSpec.of(sequences, table, column);
  }

  /**
   * A domain: {@code name} is its key ({@code SchemaMap.key}: qualified unless in {@code public}),
   * then its base type, NOT NULL, default and CHECK constraints ({@code CONSTRAINT name CHECK
   * (...)} as {@code pg_get_constraintdef} prints them).
   */
  public record DomainSpec(
      String name,
      String baseType,
      boolean notNull,
      String defaultExpression,
      List<String> constraints) {
    public DomainSpec {
      constraints = List.copyOf(constraints);
    }

    /**
     * The same domain with {@code rewrite} applied to its base type, default and constraints
     * (schema qualifiers mapped).
     */
    public DomainSpec rewritten(UnaryOperator<String> rewrite) {
      return new DomainSpec(
          name,
          rewrite.apply(baseType),
          notNull,
          defaultExpression == null ? null : rewrite.apply(defaultExpression),
          constraints.stream().map(rewrite).toList());
    }

    /** {@code CREATE DOMAIN qualifiedName AS ...}. */
    public String createSql(String qualifiedName) {
      return "CREATE DOMAIN "
          + qualifiedName
          + " AS "
          + baseType
          + (defaultExpression == null ? "" : " DEFAULT " + defaultExpression)
          + (notNull ? " NOT NULL" : "")
          + (constraints.isEmpty() ? "" : " " + String.join(" ", constraints));
    }
  }

  /**
   * A composite type of its own ({@code CREATE TYPE name AS (...)}) a consolidated column is
   * declared with: {@code name} is its key, {@code fields} its attributes as {@code name type}.
   */
  public record CompositeSpec(String name, List<String> fields) {
    public CompositeSpec {
      fields = List.copyOf(fields);
    }

    /**
     * {@code CREATE TYPE qualifiedName AS (...)}, each field's type passed through {@code rewrite}
     * (schema qualifiers mapped).
     */
    public String createSql(String qualifiedName, UnaryOperator<String> rewrite) {
      return "CREATE TYPE "
          + qualifiedName
          + " AS ("
          + String.join(", ", fields.stream().map(rewrite).toList())
          + ")";
    }
  }

  /**
   * A view or materialized view of {@code schema}, in creation order (a view after the views it
   * reads); {@code populated} is false for a materialized view created {@code WITH NO DATA} (or
   * never refreshed) in the source, which stays unfilled in the target.
   */
  public record ViewSpec(
      String schema, String name, boolean materialized, String definition, boolean populated) {
    public ViewSpec(String schema, String name, boolean materialized, String definition) {
      this(schema, name, materialized, definition, true);
    }

    public String kind() {
      return materialized ? "materialized view" : "view";
    }
  }

  /**
   * A function, procedure or aggregate: {@code signature} names it by its key (qualified unless in
   * {@code public}, as tables are) with its argument types ({@code last_day(timestamp with time
   * zone)}, {@code sales.quote_ref()}); {@code definition} is a CREATE OR REPLACE statement whose
   * name is {@code qualifiedName}, or null for an aggregate PostgreSQL prints no definition for.
   */
  public record FunctionSpec(
      String signature, String kind, String qualifiedName, String definition) {
    /** The source schema the function is defined in. */
    public String sourceSchema() {
      String name = signature.substring(0, signature.indexOf('('));
      return name.contains(".") ? name.substring(0, name.indexOf('.')) : "public";
    }

    /**
     * Whether the source runs it with its owner's rights ({@code SECURITY DEFINER} in the header
     * {@code pg_get_functiondef} prints, before the body).
     */
    public boolean securityDefiner() {
      if (definition == null) {
        return false;
      }
      int body = definition.indexOf("\nAS ");
      String header = body < 0 ? definition : definition.substring(0, body);
      return header.contains("\n SECURITY DEFINER");
    }

    /** Its identity in {@code schema} (a quoted name), for ALTER FUNCTION: {@code s.f(int)}. */
    public String signatureIn(String schema) {
      return nameIn(schema) + signature.substring(signature.indexOf('('));
    }

    /** Its name in {@code schema} (a quoted name), without arguments. */
    public String nameIn(String schema) {
      return schema + "." + qualifiedName.substring(qualifiedName.indexOf('.') + 1);
    }

    /** Its name without schema or arguments, unquoted: {@code shout} for {@code sales.shout()}. */
    public String bareName() {
      String key = signature.substring(0, signature.indexOf('('));
      return key.startsWith(sourceSchema() + ".")
          ? key.substring(sourceSchema().length() + 1)
          : key;
    }

    /**
     * The definition creating the function as {@code target} instead (a quoted qualified name, no
     * arguments).
     */
    public String definitionAs(String target) {
      return definition.replaceFirst(
          Pattern.quote(qualifiedName) + "\\(", Matcher.quoteReplacement(target) + "(");
    }

    /** The definition creating the function in {@code schema} instead (a quoted name). */
    public String definitionIn(String schema) {
      return definition.replaceFirst(
          Pattern.quote(qualifiedName) + "\\(",
          Matcher.quoteReplacement(
                  schema + "." + qualifiedName.substring(qualifiedName.indexOf('.') + 1))
              + "(");
    }
  }

  /**
   * A user trigger on a table: {@code definition} is {@code pg_get_triggerdef} with the table and
   * function unqualified; {@code function} is the signature of the function it executes.
   */
  public record TriggerSpec(
      String table, String name, String definition, String function, boolean builtInFunction) {
    private static final Pattern PARTS =
        Pattern.compile(
            "(?s)^(CREATE (?:CONSTRAINT )?TRIGGER \\S+ .*? ON )(\\S+)( .*EXECUTE"
                + " (?:FUNCTION|PROCEDURE) )(\\S+?)(\\(.*)$");

    /** A row trigger ({@code FOR EACH ROW}): it sees one row of one tenant at a time. */
    public boolean rowLevel() {
      return definition.contains(" FOR EACH ROW ");
    }

    /**
     * Whether it declares transition tables ({@code REFERENCING NEW TABLE}), which PostgreSQL
     * refuses on a partition.
     */
    public boolean transitionTables() {
      return definition.contains(" REFERENCING ");
    }

    /**
     * The definition on {@code table} (a quoted qualified name) executing {@code function} (a
     * quoted qualified name) instead; empty when the definition does not parse.
     */
    public Optional<String> definitionOn(String table, String function) {
      Matcher m = PARTS.matcher(definition);
      if (!m.matches()) {
        return Optional.empty();
      }
      return Optional.of(m.group(1) + table + m.group(3) + function + m.group(5));
    }
  }

  private static final String VIEWS_SQL =
      """
      SELECT c.relname, c.relkind = 'm', pg_get_viewdef(c.oid, true), n.nspname, c.relkind <> 'm' OR c.relispopulated
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY (?) AND c.relkind IN ('v', 'm')
       ORDER BY c.oid
      """;

  /**
   * The views each view reads (through its rewrite rule), so views are created after what they
   * read.
   */
  private static final String VIEW_DEPENDENCIES_SQL =
      """
      SELECT DISTINCT v.relname, u.relname
        FROM pg_depend d
        JOIN pg_rewrite r ON r.oid = d.objid
        JOIN pg_class v ON v.oid = r.ev_class
        JOIN pg_class u ON u.oid = d.refobjid
        JOIN pg_namespace n ON n.oid = v.relnamespace
       WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND u.oid <> v.oid
         AND u.relkind IN ('v', 'm') AND n.nspname = ANY (?)
      """;

  private static final String FUNCTIONS_SQL =
      """
      SELECT CASE WHEN n.nspname = 'public' THEN '' ELSE n.nspname || '.' END || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
             CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
             quote_ident(n.nspname) || '.' || quote_ident(p.proname),
             CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
                  -- PostgreSQL prints no aggregate: build a plain one (no moving or ordered-set parts) from pg_aggregate.
                  WHEN p.prokind = 'a' AND a.aggkind = 'n' AND a.aggmtransfn = 0 THEN
                    'CREATE OR REPLACE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
                    || '(' || pg_get_function_identity_arguments(p.oid) || ') (SFUNC = ' || a.aggtransfn::regproc::text
                    || ', STYPE = ' || format_type(a.aggtranstype, NULL)
                    || CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::regproc::text ELSE '' END
                    || CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::regproc::text ELSE '' END
                    || CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(a.agginitval) ELSE '' END || ')'
             END
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
       WHERE n.nspname = ANY (?)
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
       ORDER BY p.oid
      """;
  private static final String TRIGGERS_SQL =
      """
      -- Tables are keyed like the plan's: qualified by their schema unless that is public (SchemaMap.key).
      SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END, t.tgname, pg_get_triggerdef(t.oid, true),
             CASE WHEN pn.nspname = 'public' THEN '' ELSE pn.nspname || '.' END || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
             p.pronamespace = 'pg_catalog'::regnamespace
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc p ON p.oid = t.tgfoid
        JOIN pg_namespace pn ON pn.oid = p.pronamespace
       WHERE n.nspname = ANY (?) AND NOT t.tgisinternal AND t.tgparentid = 0
       ORDER BY c.relname, t.tgname
      """;

  /**
   * Every sequence owned by a column (serial: {@code OWNED BY}, dependency 'a'; identity: 'i') of a
   * table in the tenant's schemas, with its position where the reader may read it.
   */
  private static final String SEQUENCES_SQL =
      """
      SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END, a.attname, s.relname,
             CASE WHEN has_sequence_privilege(s.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(s.oid) END
        FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_class c ON c.oid = d.refobjid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
       WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
         AND d.deptype IN ('a', 'i') AND n.nspname = ANY (?)
       ORDER BY 1, 2
      """;

  private static final String PRIMARY_KEYS_SQL =
      """
      SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END, k.conname
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE k.contype = 'p' AND n.nspname = ANY (?)
       ORDER BY 1
      """;

  private static final String DEFAULT_CALLS_SQL =
      """
      SELECT DISTINCT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END, a.attname,
             CASE WHEN pn.nspname = 'public' THEN '' ELSE pn.nspname || '.' END || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
        FROM pg_attrdef d
        JOIN pg_class c ON c.oid = d.adrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid AND dep.refclassid = 'pg_proc'::regclass
        JOIN pg_proc p ON p.oid = dep.refobjid
        JOIN pg_namespace pn ON pn.oid = p.pronamespace
       WHERE n.nspname = ANY (?) AND pn.nspname = ANY (?)
      """;

  /**
   * The extensions installed in the tenant's database (plpgsql is in every one): defaults and
   * triggers may call their functions.
   */
  private static final String EXTENSIONS_SQL =
      """
      SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname
      """;

  private static final String DOMAINS_SQL =
      """
      SELECT CASE WHEN n.nspname = 'public' THEN t.typname ELSE n.nspname || '.' || t.typname END,
             format_type(t.typbasetype, t.typtypmod), t.typnotnull, pg_get_expr(t.typdefaultbin, 0),
             ARRAY(SELECT 'CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid, true)
                     FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       -- The schemas' own domains, and those their tables' columns use wherever they are defined (AdventureWorks keeps its
       -- domains in public and its tables in five other schemas).
       WHERE t.typtype = 'd' AND (n.nspname = ANY (?) OR t.oid IN (
               -- A column's type, or its element type (an array of a domain).
               SELECT unnest(ARRAY[a.atttypid, at.typelem]) FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
                 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
                WHERE cn.nspname = ANY (?) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped))
       ORDER BY n.nspname, t.typname
      """;

  private static final String COMPOSITES_SQL =
      """
      SELECT CASE WHEN n.nspname = 'public' THEN t.typname ELSE n.nspname || '.' || t.typname END,
             ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class r ON r.oid = t.typrelid AND r.relkind = 'c'
       WHERE t.oid IN (SELECT a.atttypid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
                        WHERE cn.nspname = ANY (?) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped)
       ORDER BY n.nspname, t.typname
      """;

  /**
   * Reads the code of {@code schemas} with those schemas as the search path, so definitions name
   * objects unqualified where the path finds them; the target replays them under the mapped path
   * ({@code SchemaMap.searchPath}).
   */
  public static CodeObjects read(Connection conn, List<String> schemas) throws SQLException {
    return SearchPath.with(conn, schemas, () -> readUnderPath(conn, schemas));
  }

  private static CodeObjects readUnderPath(Connection conn, List<String> schemas)
      throws SQLException {
    Array schemaArray = conn.createArrayOf("text", schemas.toArray());
    List<ViewSpec> views = new ArrayList<>();
    query(
        conn,
        VIEWS_SQL,
        schemaArray,
        rs ->
            views.add(
                new ViewSpec(
                    rs.getString(4),
                    rs.getString(1),
                    rs.getBoolean(2),
                    stripSemicolon(rs.getString(3)),
                    rs.getBoolean(5))));
    List<String[]> dependencies = new ArrayList<>();
    query(
        conn,
        VIEW_DEPENDENCIES_SQL,
        schemaArray,
        rs -> dependencies.add(new String[] {rs.getString(1), rs.getString(2)}));
    List<FunctionSpec> functions = new ArrayList<>();
    query(
        conn,
        FUNCTIONS_SQL,
        schemaArray,
        rs ->
            functions.add(
                new FunctionSpec(
                    rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))));
    List<TriggerSpec> triggers = new ArrayList<>();
    query(
        conn,
        TRIGGERS_SQL,
        schemaArray,
        rs ->
            triggers.add(
                new TriggerSpec(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getBoolean(5))));
    List<DomainSpec> domains = new ArrayList<>();
    query(
        conn,
        DOMAINS_SQL,
        schemaArray,
        rs ->
            domains.add(
                new DomainSpec(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getBoolean(3),
                    rs.getString(4),
                    List.of((String[]) rs.getArray(5).getArray()))));
    List<DefaultCall> calls = new ArrayList<>();
    query(
        conn,
        DEFAULT_CALLS_SQL,
        schemaArray,
        rs -> calls.add(new DefaultCall(rs.getString(1), rs.getString(2), rs.getString(3))));
    List<String> extensions = new ArrayList<>();
    query(conn, EXTENSIONS_SQL, schemaArray, rs -> extensions.add(rs.getString(1)));
    List<CompositeSpec> composites = new ArrayList<>();
    query(
        conn,
        COMPOSITES_SQL,
        schemaArray,
        rs ->
            composites.add(
                new CompositeSpec(rs.getString(1), List.of((String[]) rs.getArray(2).getArray()))));
    List<SequenceSpec> sequences = new ArrayList<>();
    query(
        conn,
        SEQUENCES_SQL,
        schemaArray,
        rs ->
            sequences.add(
                new SequenceSpec(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getObject(4) == null ? null : rs.getLong(4))));
    List<KeyName> keys = new ArrayList<>();
    query(
        conn,
        PRIMARY_KEYS_SQL,
        schemaArray,
        rs -> keys.add(new KeyName(rs.getString(1), rs.getString(2))));
    return new CodeObjects(
        dependencyOrder(views, dependencies),
        functions,
        triggers,
        domains,
        calls,
        extensions,
        composites,
        sequences,
        keys);
  }

  /**
   * Views after the views they read; views in a cycle (impossible in PostgreSQL) keep their catalog
   * order at the end.
   */
  private static List<ViewSpec> dependencyOrder(List<ViewSpec> views, List<String[]> dependencies) {
    List<ViewSpec> ordered = new ArrayList<>();
    List<ViewSpec> remaining = new ArrayList<>(views);
    boolean progressed = true;
    while (progressed && !remaining.isEmpty()) {
      progressed = false;
      for (ViewSpec view : List.copyOf(remaining)) {
        boolean ready =
            dependencies.stream()
                .filter(d -> d[0].equals(view.name()))
                .noneMatch(d -> remaining.stream().anyMatch(r -> r.name().equals(d[1])));
        if (ready) {
          ordered.add(view);
          remaining.remove(view);
          progressed = true;
        }
      }
    }
    ordered.addAll(remaining);
    return ordered;
  }

  private static String stripSemicolon(String definition) {
    String trimmed = definition.strip();
    return trimmed.endsWith(";") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
  }

  private interface RowReader {
    void read(ResultSet rs) throws SQLException;
  }

  /**
   * Runs {@code sql}, every parameter of which is the schema array, and hands each row to {@code
   * reader}.
   */
  private static void query(Connection conn, String sql, Array schemas, RowReader reader)
      throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 1; i <= ps.getParameterMetaData().getParameterCount(); i++) {
        ps.setArray(i, schemas);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          reader.read(rs);
        }
      }
    }
  }
}
