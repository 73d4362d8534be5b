package dev.tenantfold.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which source tables to consolidate: names or globs ({@code *}, {@code ?}). A pattern with a dot
 * ({@code sales.*}, {@code hr.status_history}) matches {@code schema.table}; one without matches
 * the table name in any schema.
 */
public record TablesConfig(List<String> include, List<String> exclude) {

  public TablesConfig {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
  }

  private static final KeyBlock KEYS = new KeyBlock("tenantfold.tables");
  public static final ConfigKey<List<String>> INCLUDE = KEYS.stringList("include");
  public static final ConfigKey<List<String>> EXCLUDE = KEYS.stringList("exclude");

  static TablesConfig from(ConfigReader block) {
    ConfigReader c = KEYS.checked(block);
    return new TablesConfig(c.get(INCLUDE), c.get(EXCLUDE));
  }

  /** This selection without {@code tableNames} (tables a rule excludes). */
  public TablesConfig excluding(java.util.Collection<String> tableNames) {
    List<String> more = new java.util.ArrayList<>(exclude);
    more.addAll(tableNames);
    return new TablesConfig(include, more);
  }

  /**
   * Whether the table of this key ({@code orders}, {@code sales.orders}: {@link SchemaMap#key}) is
   * consolidated.
   */
  public boolean selects(String key) {
    return selects(SchemaMap.sourceSchemaOf(key), SchemaMap.nameOf(key));
  }

  /** Whether the table {@code name} of source schema {@code schema} is consolidated. */
  public boolean selects(String schema, String name) {
    return include.stream().anyMatch(p -> matches(p, schema, name))
        && exclude.stream().noneMatch(p -> matches(p, schema, name));
  }

  /**
   * Whether {@code pattern} matches the table {@code name} of {@code schema}: qualified patterns
   * match {@code schema.name}.
   */
  public static boolean matches(String pattern, String schema, String name) {
    return pattern.contains(".") ? glob(pattern, schema + "." + name) : glob(pattern, name);
  }

  /** Include entries without wildcards: each must exist in every tenant. */
  public List<String> explicitNames() {
    return include.stream().filter(p -> !p.contains("*") && !p.contains("?")).toList();
  }

  static boolean glob(String pattern, String name) {
    StringBuilder regex = new StringBuilder();
    for (char ch : pattern.toCharArray()) {
      switch (ch) {
        case '*' -> regex.append(".*");
        case '?' -> regex.append('.');
        default -> regex.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.matches(regex.toString(), name);
  }
}
