package dev.tenantfold.config;

import dev.tenantfold.jdbc.Sql;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Where each source schema's tables and types consolidate ({@code tenantfold.target.schema-map}):
 * into a target schema of the same name, {@code public} into {@code target.schema}, unless the map
 * names another. Schemas are mapped, never flattened: {@code sales.orders} and {@code
 * public.orders} stay two tables.
 *
 * <p>Everything the plan, the rules, the reports and the ledger say about a table or an enum type
 * uses its <em>key</em>: the source name, qualified by its source schema unless that is {@code
 * public} ({@code orders}, {@code sales.orders}). {@link #relation} turns a key into the quoted
 * target name.
 */
public record SchemaMap(String defaultSchema, Map<String, String> mapped) {
  /**
   * The source schema whose objects keep unqualified keys and consolidate into {@code
   * target.schema}.
   */
  public static final String DEFAULT_SOURCE = "public";

  private static final Pattern SCHEMA = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

  public SchemaMap {
    mapped = Map.copyOf(new TreeMap<>(mapped));
  }

  /**
   * No schema-map: {@code public} into {@code defaultSchema}, every other schema into its namesake.
   */
  public static SchemaMap of(String defaultSchema) {
    return new SchemaMap(defaultSchema, Map.of());
  }

  static SchemaMap from(ConfigReader c, String defaultSchema) {
    Map<String, String> mapped = new TreeMap<>();
    for (String source : c.keys()) {
      String target = c.string(com.typesafe.config.ConfigUtil.joinPath(source));
      for (String name : List.of(source, target)) {
        if (!SCHEMA.matcher(name).matches()) {
          throw new ConfigError(
              "Cannot use "
                  + c.key(source)
                  + " = "
                  + target
                  + ": '"
                  + name
                  + "' is not a schema name (letters, digits, _)");
        }
      }
      mapped.put(source, target);
    }
    Set<String> seen = new LinkedHashSet<>();
    for (var e : new TreeMap<>(mapped).entrySet()) {
      if (!seen.add(e.getValue())) {
        throw new ConfigError(
            "Cannot use "
                + c.key(e.getKey())
                + " = "
                + e.getValue()
                + ": another source schema maps to "
                + e.getValue()
                + " too; each source schema needs a target schema of its own (schemas are mapped,"
                + " not merged)");
      }
    }
    return new SchemaMap(defaultSchema, mapped);
  }

  /**
   * The key of a source object: its name, qualified by its schema unless that is {@code public}.
   */
  public static String key(String sourceSchema, String name) {
    return DEFAULT_SOURCE.equals(sourceSchema) ? name : sourceSchema + "." + name;
  }

  /** The source schema a key names ({@code public} for an unqualified key). */
  public static String sourceSchemaOf(String key) {
    int dot = key.indexOf('.');
    return dot < 0 ? DEFAULT_SOURCE : key.substring(0, dot);
  }

  /** The object's own name, without the schema. */
  public static String nameOf(String key) {
    int dot = key.indexOf('.');
    return dot < 0 ? key : key.substring(dot + 1);
  }

  /** The target schema a source schema's objects consolidate into. */
  public String targetSchema(String sourceSchema) {
    String to = mapped.get(sourceSchema);
    if (to != null) {
      return to;
    }
    return DEFAULT_SOURCE.equals(sourceSchema) ? defaultSchema : sourceSchema;
  }

  /** The target schema of a keyed table or type. */
  public String targetSchemaOf(String key) {
    return targetSchema(sourceSchemaOf(key));
  }

  /** The quoted, schema-qualified target name of a keyed table or type. */
  public String relation(String key) {
    return Sql.qualified(targetSchemaOf(key), nameOf(key));
  }

  /**
   * The source schema whose objects land in {@code targetSchema}: the inverse of {@link
   * #targetSchema}.
   */
  public String sourceSchemaFor(String targetSchema) {
    for (var e : mapped.entrySet()) {
      if (e.getValue().equals(targetSchema)) {
        return e.getKey();
      }
    }
    if (targetSchema.equals(defaultSchema) && !mapped.containsKey(DEFAULT_SOURCE)) {
      return DEFAULT_SOURCE;
    }
    return targetSchema;
  }

  /**
   * The key a table or type in {@code targetSchema} of the target has: the key of the source object
   * that consolidates into it.
   */
  public String keyOfTarget(String targetSchema, String name) {
    return key(sourceSchemaFor(targetSchema), name);
  }

  /**
   * The target schemas {@code sourceSchemas} consolidate into, in order, each once; the default
   * schema first.
   */
  public List<String> targetSchemas(Collection<String> sourceSchemas) {
    Set<String> out = new LinkedHashSet<>();
    out.add(defaultSchema);
    sourceSchemas.forEach(s -> out.add(targetSchema(s)));
    return new ArrayList<>(out);
  }

  /**
   * The target schemas {@code sourceSchemas} consolidate into, in the same order, each once: the
   * target's search path for definitions read under the sources' path {@code sourceSchemas}, so an
   * unqualified name finds the object it found in the source.
   */
  public List<String> searchPath(Collection<String> sourceSchemas) {
    Set<String> out = new LinkedHashSet<>();
    sourceSchemas.forEach(s -> out.add(targetSchema(s)));
    return new ArrayList<>(out);
  }

  /**
   * A definition read from a source (a default, a CHECK, a trigger or function definition) with its
   * schema qualifiers ({@code 'x'::sales.status}, {@code sales.quote_ref()}) naming the target
   * schemas those schemas map to; names in literals and function bodies are left as written.
   */
  public String requalify(String definition) {
    return definition == null
        ? null
        : dev.tenantfold.jdbc.SqlText.renameSchemas(definition, this::targetSchemaIfConsolidated);
  }

  /**
   * A schema's target schema, or the schema itself when it is a system schema (pg_catalog stays
   * pg_catalog).
   */
  private String targetSchemaIfConsolidated(String schema) {
    return schema.startsWith("pg_") || schema.equals("information_schema")
        ? schema
        : targetSchema(schema);
  }
}
