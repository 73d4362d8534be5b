package dev.tenantfold.config;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Which source tables to consolidate: names or globs ({@code *}, {@code ?}), matched on the table name. */
public record TablesConfig(List<String> include, List<String> exclude) {

  public TablesConfig {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
  }

  static TablesConfig from(ConfigReader c) {
    c.rejectUnknown(Set.of("include", "exclude"));
    return new TablesConfig(c.stringList("include"), c.stringList("exclude"));
  }

  /** This selection without {@code tableNames} (tables a rule excludes). */
  public TablesConfig excluding(java.util.Collection<String> tableNames) {
    List<String> more = new java.util.ArrayList<>(exclude);
    more.addAll(tableNames);
    return new TablesConfig(include, more);
  }

  public boolean selects(String tableName) {
    return include.stream().anyMatch(p -> glob(p, tableName)) && exclude.stream().noneMatch(p -> glob(p, tableName));
  }

  /** Include entries without wildcards: each must exist in every tenant. */
  public List<String> explicitNames() {
    return include.stream().filter(p -> !p.contains("*") && !p.contains("?")).toList();
  }

  /** Whether {@code pattern} (one of {@link #include}) matches {@code name}. */
  public static boolean matches(String pattern, String name) {
    return glob(pattern, name);
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
