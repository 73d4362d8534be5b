package dev.tenantfold.config;

import com.typesafe.config.ConfigUtil;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Per-table rules ({@code tenantfold.rules}): casts, excluded and defaulted columns, excluded
 * tables, deduplication and the reject threshold. Parsed and checked for shape here; whether the
 * named tables and columns exist is checked against the tenants' catalogs when the plan is made
 * (docs/reconcile.md).
 */
public record RulesConfig(SortedMap<String, TableRule> tables, Set<String> enumUnion) {
  private static final Pattern TYPE_TEXT =
      Pattern.compile(
          "[A-Za-z_][A-Za-z0-9_ ]*(\\(\\s*\\d+\\s*(,\\s*-?\\d+\\s*)?\\))?( with(out)? time"
              + " zone)?(\\[\\])*");

  public RulesConfig {
    tables = new TreeMap<>(tables);
    enumUnion = Set.copyOf(enumUnion);
  }

  public RulesConfig(SortedMap<String, TableRule> tables) {
    this(tables, Set.of());
  }

  public static RulesConfig none() {
    return new RulesConfig(new TreeMap<>());
  }

  /**
   * These rules, and {@code tenantfold.enum-union}: enum types (by key) whose labels may differ
   * between tenants and are united.
   */
  public RulesConfig withEnumUnion(java.util.Collection<String> enumKeys) {
    return new RulesConfig(tables, new java.util.TreeSet<>(enumKeys));
  }

  /**
   * Whether a rule named {@code ruleTable} is about the table {@code key}: the same key, or an
   * unqualified rule name and the table's own name ({@code orders} names {@code sales.orders} when
   * no other schema has an {@code orders}; the plan refuses the ambiguity).
   */
  public static boolean names(String ruleTable, String key) {
    return ruleTable.equals(key)
        || (!ruleTable.contains(".") && SchemaMap.nameOf(key).equals(ruleTable));
  }

  /**
   * The config path of a table's rule block: {@code tenantfold.rules.orders}, {@code
   * tenantfold.rules."sales.orders"}.
   */
  public static String path(String table) {
    return TABLE_KEYS.path(table);
  }

  public Optional<TableRule> table(String name) {
    return Optional.ofNullable(tables.get(name));
  }

  /** Tables a rule excludes: they are not read, like {@code tables.exclude}. */
  public List<String> excludedTables() {
    return tables.values().stream().filter(TableRule::exclude).map(TableRule::table).toList();
  }

  /**
   * The rule for the table {@code key}: by key, else by the table's own name ({@link #names}); or
   * one that changes nothing.
   */
  public TableRule forTable(String key) {
    TableRule exact = tables.get(key);
    if (exact != null) {
      return exact;
    }
    return key.contains(".")
        ? tables.getOrDefault(SchemaMap.nameOf(key), TableRule.none(key))
        : TableRule.none(key);
  }

  /** The keys of one table's rule block, {@code tenantfold.rules.<table>}. */
  private static final KeyBlock TABLE_KEYS = new KeyBlock("tenantfold.rules.<table>");

  public static final ConfigKey<ConfigReader> COLUMNS = TABLE_KEYS.block("columns");
  public static final ConfigKey<Long> MAX_REJECTED_ROWS =
      TABLE_KEYS.key("max-rejected-rows", (block, name) -> block.nonNegativeLong(name, 0));
  public static final ConfigKey<Optional<Dedup>> DEDUP =
      TABLE_KEYS.key(
          "dedup",
          (block, name) ->
              !block.has(name)
                  ? Optional.empty()
                  : Optional.of(
                      block.isObject(name)
                          ? Dedup.keyed(block.block(name))
                          : Dedup.named(block, name)));
  public static final ConfigKey<Boolean> EXCLUDE = TABLE_KEYS.flag("exclude");
  public static final ConfigKey<Optional<Shared>> SHARED =
      TABLE_KEYS.key(
          "shared",
          (block, name) ->
              block.has(name) ? Optional.of(Shared.from(block.block(name))) : Optional.empty());
  public static final ConfigKey<Boolean> QUARANTINE_DUPLICATES =
      TABLE_KEYS.flag("quarantine-duplicates");

  /** Read by tenants with catch-up.mode = cursor only (docs/catch-up.md, "cursor"). */
  public static final ConfigKey<Optional<String>> CURSOR_COLUMN =
      TABLE_KEYS.key(
          "cursor-column", (block, name) -> Optional.ofNullable(block.optionalString(name, null)));

  /** The keys of one column's rule block, {@code tenantfold.rules.<table>.columns.<column>}. */
  private static final KeyBlock COLUMN_KEYS =
      new KeyBlock("tenantfold.rules.<table>.columns.<column>");

  public static final ConfigKey<Optional<String>> CAST =
      COLUMN_KEYS.key(
          "cast",
          (block, name) -> {
            if (!block.has(name)) {
              return Optional.empty();
            }
            String type =
                block
                    .requiredString(name, "a PostgreSQL type such as bigint or \"numeric(14,4)\"")
                    .trim();
            if (!TYPE_TEXT.matcher(type).matches()) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " = '"
                      + type
                      + "' is not a PostgreSQL type name (e.g. bigint, text, \"numeric(14,4)\")");
            }
            return Optional.of(type.toLowerCase(Locale.ROOT));
          });
  public static final ConfigKey<Boolean> COLUMN_EXCLUDE = COLUMN_KEYS.flag("exclude");
  public static final ConfigKey<Optional<String>> DEFAULT =
      COLUMN_KEYS.key(
          "default",
          (block, name) -> block.has(name) ? Optional.of(block.string(name)) : Optional.empty());

  /** The keys of a keyed dedup block, {@code tenantfold.rules.<table>.dedup { ... }}. */
  private static final KeyBlock DEDUP_KEYS = new KeyBlock("tenantfold.rules.<table>.dedup");

  public static final ConfigKey<List<String>> DEDUP_KEY =
      DEDUP_KEYS.key(
          "key",
          (block, name) -> {
            List<String> key = block.has(name) ? block.stringList(name) : List.of();
            if (key.isEmpty()) {
              throw new ConfigError(
                  "Missing required config key "
                      + block.key(name)
                      + ": the columns that identify a row, e.g. key = [customer_id]");
            }
            return key;
          });
  public static final ConfigKey<List<SortKey>> DEDUP_KEEP =
      DEDUP_KEYS.key(
          "keep",
          (block, name) -> {
            List<SortKey> keep = new ArrayList<>();
            if (block.has(name)) {
              for (String part : block.string(name).split(",")) {
                keep.add(SortKey.parse(part, block.key(name)));
              }
            }
            return keep;
          });

  /** The keys of a shared table's block, {@code tenantfold.rules.<table>.shared}. */
  private static final KeyBlock SHARED_KEYS = new KeyBlock("tenantfold.rules.<table>.shared");

  public static final ConfigKey<String> ON_CONFLICT =
      SHARED_KEYS.key("on-conflict", (block, name) -> block.optionalString(name, "fail").trim());

  public static RulesConfig from(ConfigReader rules) {
    SortedMap<String, TableRule> tables = new TreeMap<>();
    for (String table : rules.keys()) {
      String quoted = ConfigUtil.joinPath(table);
      if (!rules.isObject(quoted)) {
        throw new ConfigError(
            "Cannot read "
                + rules.key(table)
                + ": expected a rule block { ... } for table "
                + table);
      }
      tables.put(table, TableRule.from(table, TABLE_KEYS.checked(rules.block(quoted))));
    }
    return new RulesConfig(tables);
  }

  /**
   * What happens to one table. {@code maxRejectedRows} rows may be rejected before its tenant
   * fails.
   */
  public record TableRule(
      String table,
      String path,
      Map<String, ColumnRule> columns,
      long maxRejectedRows,
      Optional<Dedup> dedup,
      boolean exclude,
      Optional<Shared> shared,
      boolean quarantineDuplicates,
      Optional<String> cursorColumn) {
    public TableRule {
      columns = Map.copyOf(columns);
    }

    static TableRule none(String table) {
      return new TableRule(
          table,
          RulesConfig.path(table),
          Map.of(),
          0,
          Optional.empty(),
          false,
          Optional.empty(),
          false,
          Optional.empty());
    }

    public Optional<ColumnRule> column(String name) {
      return Optional.ofNullable(columns.get(name));
    }

    /**
     * Whether rows of this table are changed, dropped or rejected on the way (anything beyond
     * renaming types).
     */
    public boolean changesRows() {
      return dedup.isPresent() || columns.values().stream().anyMatch(c -> c.cast().isPresent());
    }

    static TableRule from(String table, ConfigReader c) {
      Map<String, ColumnRule> columns = new LinkedHashMap<>();
      ConfigReader cols = c.get(COLUMNS);
      for (String column : cols.keys()) {
        String quoted = ConfigUtil.joinPath(column);
        if (!cols.isObject(quoted)) {
          throw new ConfigError(
              "Cannot read "
                  + cols.key(column)
                  + ": expected { cast = TYPE } or { exclude = true } or { default = VALUE }");
        }
        columns.put(column, ColumnRule.from(column, COLUMN_KEYS.checked(cols.block(quoted))));
      }
      Optional<Dedup> dedup = c.get(DEDUP);
      boolean exclude = c.get(EXCLUDE);
      Optional<Shared> shared = c.get(SHARED);
      if (exclude && (!columns.isEmpty() || dedup.isPresent() || shared.isPresent())) {
        throw new ConfigError(
            "Config key "
                + c.key(EXCLUDE)
                + " = true leaves nothing for the other rules of table "
                + table
                + " to act on: remove them or the exclude");
      }
      boolean quarantine = c.get(QUARANTINE_DUPLICATES);
      if (quarantine && dedup.isEmpty()) {
        throw new ConfigError(
            "Config key "
                + c.key(QUARANTINE_DUPLICATES)
                + " = true needs a dedup rule on table "
                + table
                + " (dedup = exact, or dedup { key = [...] })");
      }
      return new TableRule(
          table,
          c.path(),
          columns,
          c.get(MAX_REJECTED_ROWS),
          dedup,
          exclude,
          shared,
          quarantine,
          c.get(CURSOR_COLUMN));
    }
  }

  /**
   * What happens to one column: cast every tenant's value to {@code cast}, drop it, or fill it
   * where a tenant lacks it.
   */
  public record ColumnRule(
      String column,
      String path,
      Optional<String> cast,
      boolean exclude,
      Optional<String> defaultValue) {
    static ColumnRule from(String column, ConfigReader c) {
      Optional<String> cast = c.get(CAST);
      boolean exclude = c.get(COLUMN_EXCLUDE);
      Optional<String> defaultValue = c.get(DEFAULT);
      if (exclude && (cast.isPresent() || defaultValue.isPresent())) {
        throw new ConfigError(
            "Config key "
                + c.key(COLUMN_EXCLUDE)
                + " = true cannot be combined with cast or default: an excluded column is not"
                + " loaded");
      }
      return new ColumnRule(column, c.path(), cast, exclude, defaultValue);
    }
  }

  /**
   * Deduplication of one table per tenant. Exact: rows identical in every column collapse to one.
   * Keyed: one row per {@code key}, the first in {@code keep} order; ties broken by the row's whole
   * text in byte order, so re-runs keep the same row.
   */
  public record Dedup(String path, List<String> key, List<SortKey> keep) {
    public Dedup {
      key = List.copyOf(key);
      keep = List.copyOf(keep);
    }

    public boolean exact() {
      return key.isEmpty();
    }

    static Dedup named(ConfigReader c, String name) {
      String value = c.string(name).trim();
      if (!value.equals("exact")) {
        throw new ConfigError(
            "Config key "
                + c.key(name)
                + " = '"
                + value
                + "': use dedup = exact, or dedup { key = [columns], keep = \"column desc\" }");
      }
      return new Dedup(c.key(name), List.of(), List.of());
    }

    static Dedup keyed(ConfigReader block) {
      ConfigReader c = DEDUP_KEYS.checked(block);
      return new Dedup(c.path(), c.get(DEDUP_KEY), c.get(DEDUP_KEEP));
    }
  }

  /**
   * A shared reference table: loaded once, without the tenant column, keyed by the source key.
   * Tenants' rows for one key must agree; {@code onConflict} decides when they do not: {@code fail}
   * (the conflicting tenants do not publish), {@code first-tenant} (the first tenant in config
   * order wins) or {@code tenant:<id>} (that tenant wins where it has the key, else the first).
   */
  public record Shared(String path, OnConflict onConflict, Optional<String> winner) {
    /** What happens to rows that conflict. */
    public enum OnConflict {
      FAIL,
      FIRST_TENANT,
      TENANT
    }

    static Shared from(ConfigReader block) {
      ConfigReader c = SHARED_KEYS.checked(block);
      String value = c.get(ON_CONFLICT);
      if (value.equals("fail")) {
        return new Shared(c.path(), OnConflict.FAIL, Optional.empty());
      }
      if (value.equals("first-tenant")) {
        return new Shared(c.path(), OnConflict.FIRST_TENANT, Optional.empty());
      }
      if (value.startsWith("tenant:") && value.length() > "tenant:".length()) {
        return new Shared(
            c.path(), OnConflict.TENANT, Optional.of(value.substring("tenant:".length())));
      }
      throw new ConfigError(
          "Config key "
              + c.key(ON_CONFLICT)
              + " = '"
              + value
              + "': use fail, first-tenant or \"tenant:<id>\"");
    }

    public String describe() {
      return switch (onConflict) {
        case FAIL -> "fail";
        case FIRST_TENANT -> "first-tenant";
        case TENANT -> "tenant:" + winner.orElseThrow();
      };
    }
  }

  /** Tables declared shared. */
  public List<String> sharedTables() {
    return tables.values().stream()
        .filter(t -> t.shared().isPresent())
        .map(TableRule::table)
        .toList();
  }

  /** One column of a {@code keep} order. */
  public record SortKey(String column, boolean descending) {
    static SortKey parse(String text, String key) {
      String[] words = text.trim().split("\\s+");
      if (words.length == 0
          || words[0].isEmpty()
          || words.length > 2
          || (words.length == 2
              && !words[1].equalsIgnoreCase("asc")
              && !words[1].equalsIgnoreCase("desc"))) {
        throw new ConfigError(
            "Cannot read "
                + key
                + ": '"
                + text.trim()
                + "' is not 'column [asc|desc]' (e.g. keep = \"updated_at desc, id\")");
      }
      return new SortKey(words[0], words.length == 2 && words[1].equalsIgnoreCase("desc"));
    }
  }
}
