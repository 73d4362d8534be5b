package dev.tenantfold.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.jdbc.Redaction;
import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The whole job configuration, parsed once and validated at construction. Layers, lowest first:
 * {@code reference.conf} in the jar, the {@code --config} file, then {@code --set key=value}
 * overrides; {@code ${?ENV}} substitutions resolve after layering.
 */
public record TenantfoldConfig(
    String tenantColumn,
    TargetConfig target,
    List<TenantConfig> tenants,
    TablesConfig tables,
    RulesConfig rules,
    String reportDir,
    JobOptions options,
    ValidateConfig validate,
    S3Config s3,
    AwsConfig aws,
    Config raw) {
  public static final String ROOT = "tenantfold";
  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(password|secret|token|access-key).*");

  /** One JSON/HOCON double-quoted string (escapes allowed), or one triple-quoted string. */
  private static final Pattern QUOTED_STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|\"\"\"(?s:.*?)\"\"\"");

  private static final Pattern COLUMN_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public TenantfoldConfig {
    tenants = List.copyOf(tenants);
  }

  /**
   * The same configuration reading {@code tenant} as given (a tenant whose source became a restored
   * copy).
   */
  public TenantfoldConfig withTenant(TenantConfig tenant) {
    List<TenantConfig> replaced =
        tenants.stream().map(t -> t.id().equals(tenant.id()) ? tenant : t).toList();
    return new TenantfoldConfig(
        tenantColumn, target, replaced, tables, rules, reportDir, options, validate, s3, aws, raw);
  }

  /** Loads the layered configuration; {@code file} may be null (reference and overrides only). */
  public static TenantfoldConfig load(File file, List<String> overrides) {
    return load(file == null ? null : file.getPath(), overrides);
  }

  /**
   * Loads the layered configuration from {@code location}: a local path or an {@code s3://} /
   * {@code s3a://} URI ({@link ConfigSource}); null for reference and overrides only.
   */
  public static TenantfoldConfig load(String location, List<String> overrides) {
    Config layered = ConfigFactory.empty();
    for (String override : overrides) {
      layered = parseOverride(override).withFallback(layered);
    }
    if (location != null) {
      layered = layered.withFallback(ConfigSource.parse(location, overrides));
    }
    return fromConfig(layered);
  }

  private static final KeyBlock KEYS = new KeyBlock(ROOT);
  public static final ConfigKey<String> TENANT_COLUMN =
      KEYS.key(
          "tenant-column",
          (block, name) -> {
            String column = block.string(name);
            if (!COLUMN_NAME.matcher(column).matches()) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " = '"
                      + column
                      + "' must be a lower-case SQL column name");
            }
            return column;
          });
  private static final ConfigKey<ConfigReader> TARGET = KEYS.block("target");
  public static final ConfigKey<List<ConfigReader>> TENANTS =
      KEYS.key("tenants", ConfigReader::objectList);
  public static final ConfigKey<ConfigReader> TABLES = KEYS.block("tables");
  private static final ConfigKey<ConfigReader> VALIDATE = KEYS.block("validate");
  private static final ConfigKey<ConfigReader> REPORT = KEYS.block("report");
  private static final ConfigKey<ConfigReader> S3 = KEYS.block("s3");
  private static final ConfigKey<ConfigReader> RULES = KEYS.block("rules");
  public static final ConfigKey<List<String>> ENUM_UNION = KEYS.stringList("enum-union");
  private static final ConfigKey<ConfigReader> PROGRESS = KEYS.block("progress");
  private static final ConfigKey<ConfigReader> AWS = KEYS.block("aws");

  static {
    // Read by JobOptions, one block each.
    KEYS.accepted("extract");
    KEYS.accepted("load");
    KEYS.accepted("publish");
    KEYS.accepted("spark");
  }

  private static final KeyBlock REPORT_KEYS = new KeyBlock("tenantfold.report");
  public static final ConfigKey<String> REPORT_DIR = REPORT_KEYS.string("dir");

  /** Validates an already-layered config (file and overrides), adding reference defaults. */
  public static TenantfoldConfig fromConfig(Config userConfig) {
    Set<String> topLevel = new HashSet<>(userConfig.root().keySet());
    topLevel.remove(ROOT);
    if (!topLevel.isEmpty()) {
      throw new ConfigError(
          "Unknown top-level config key "
              + topLevel.iterator().next()
              + ": all settings live under '"
              + ROOT
              + " { ... }'");
    }
    Config resolved;
    try {
      resolved =
          userConfig
              .withFallback(ConfigFactory.defaultReference())
              .resolve(ConfigResolveOptions.defaults());
    } catch (ConfigException.UnresolvedSubstitution e) {
      throw new ConfigError(
          "Cannot resolve config substitution: "
              + e.getMessage()
              + " (set the environment variable or use ${?VAR} for an optional one)",
          e);
    } catch (ConfigException e) {
      throw new ConfigError("Invalid configuration: " + e.getMessage(), e);
    }
    ConfigReader root = new ConfigReader(resolved.getConfig(ROOT), ROOT);
    KEYS.checked(root);
    String tenantColumn = root.get(TENANT_COLUMN);
    AwsConfig aws = AwsConfig.from(root.get(AWS));
    TargetConfig target = TargetConfig.from(root.get(TARGET), aws);
    List<TenantConfig> tenants = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (ConfigReader t : root.get(TENANTS)) {
      TenantConfig tenant = TenantConfig.from(t, aws);
      if (!ids.add(tenant.id())) {
        throw new ConfigError(
            "Duplicate tenant id '"
                + tenant.id()
                + "' at "
                + t.key("id")
                + ": tenant ids must be unique");
      }
      tenants.add(tenant);
    }
    if (tenants.isEmpty()) {
      throw new ConfigError(
          "Config key "
              + root.key(TENANTS)
              + " is empty: list at least one tenant { id, jdbc { url, user, password } }");
    }
    CompatSchemaNames.check(target, tenants);
    RulesConfig rules = RulesConfig.from(root.get(RULES)).withEnumUnion(root.get(ENUM_UNION));
    for (RulesConfig.TableRule rule : rules.tables().values()) {
      Optional<String> winner = rule.shared().flatMap(RulesConfig.Shared::winner);
      if (winner.isPresent() && !ids.contains(winner.get())) {
        throw new ConfigError(
            "Config key "
                + rule.shared().get().path()
                + ".on-conflict names tenant '"
                + winner.get()
                + "', which is not in tenantfold.tenants (known: "
                + tenants.stream().map(TenantConfig::id).toList()
                + ")");
      }
    }
    ConfigReader report = REPORT_KEYS.checked(root.get(REPORT));
    ProgressConfig.from(root.get(PROGRESS));
    return new TenantfoldConfig(
        tenantColumn,
        target,
        tenants,
        TablesConfig.from(root.get(TABLES)).excluding(rules.excludedTables()),
        rules,
        report.get(REPORT_DIR),
        JobOptions.from(root),
        ValidateConfig.from(root.get(VALIDATE)),
        S3Config.from(root.get(S3)),
        aws,
        resolved);
  }

  static Config parseOverride(String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(
          "Cannot parse --set '"
              + override
              + "': expected key=value, e.g. --set target.schema=warehouse");
    }
    String key = override.substring(0, eq).trim();
    String value = override.substring(eq + 1);
    if (!key.startsWith(ROOT + ".")) {
      key = ROOT + "." + key;
    }
    String shownKey = override.substring(0, eq).trim();
    try {
      String trimmed = value.trim();
      if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
        return ConfigFactory.parseString(key + " = " + trimmed);
      }
      if (trimmed.startsWith("\"")) {
        return ConfigFactory.empty().withValue(key, quotedString(shownKey, trimmed));
      }
      // Anything else is taken verbatim: URLs with '=' or '?', values with spaces.
      return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value));
    } catch (ConfigException e) {
      // The parser's message quotes the value: keep it out when the value may be a secret.
      String reason = SECRET_KEY.matcher(key).matches() ? "invalid HOCON value" : e.getMessage();
      throw new ConfigError("Cannot parse --set '" + shownKey + "=...': " + reason, e);
    }
  }

  /**
   * A {@code --set} value in double quotes is one HOCON quoted string: the quotes delimit it and
   * escapes apply ({@code "wh"} is {@code wh}, {@code "a\"b"} is {@code a"b}), as in the config
   * file. Shells often pass the quotes through ({@code --set 'target.schema="wh"'}); taking them
   * literally would create a schema named {@code "wh"}.
   */
  private static ConfigValue quotedString(String shownKey, String quoted) {
    if (!QUOTED_STRING.matcher(quoted).matches()) {
      throw new ConfigError(
          "Cannot parse --set '"
              + shownKey
              + "=...': a value that starts with a double quote must be one quoted string,"
              + " e.g. --set '"
              + shownKey
              + "=\"value\"' (escape a quote inside as \\\"); leave the quotes off for a plain"
              + " value");
    }
    return ConfigFactory.parseString("v = " + quoted).getValue("v");
  }

  /**
   * The effective configuration as HOCON with every password-like value masked, for the run log.
   */
  public String renderMasked() {
    Config masked = maskSecrets(raw.getConfig(ROOT));
    String text =
        masked.root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
    // Passwords can also hide in JDBC URL parameters.
    return Redaction.redactText(text, secrets());
  }

  /** How progress is shown ({@code tenantfold.progress}, checked when the configuration loads). */
  public ProgressConfig progress() {
    return ProgressConfig.from(new ConfigReader(raw.getConfig(ROOT), ROOT).block("progress"));
  }

  /**
   * The effective configuration, complete (defaults included) but compact: one {@code key = value}
   * line per setting, sorted, each tenant on one line; passwords and S3 keys masked.
   */
  public String renderCompact() {
    Config masked = maskSecrets(raw.getConfig(ROOT));
    ConfigRenderOptions concise = ConfigRenderOptions.concise();
    StringBuilder text = new StringBuilder();
    for (Map.Entry<String, ConfigValue> e :
        new java.util.TreeMap<>(
                masked.entrySet().stream()
                    .collect(
                        java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))
            .entrySet()) {
      if (e.getKey().equals("tenants")) {
        List<? extends ConfigValue> list = masked.getList("tenants");
        for (int i = 0; i < list.size(); i++) {
          text.append("  tenants[")
              .append(i)
              .append("] = ")
              .append(list.get(i).render(concise))
              .append('\n');
        }
      } else {
        text.append("  ")
            .append(e.getKey())
            .append(" = ")
            .append(e.getValue().render(concise))
            .append('\n');
      }
    }
    // Passwords can also hide in JDBC URL parameters.
    return Redaction.redactText(text.toString().stripTrailing(), secrets());
  }

  static Config maskSecrets(Config config) {
    Config out = config;
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      if (SECRET_KEY.matcher(e.getKey()).matches()) {
        out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef("****"));
      }
    }
    // Tenants are a list: entrySet does not descend into it.
    if (out.hasPath("tenants")) {
      List<Object> tenants = new ArrayList<>();
      for (Config tenant : out.getConfigList("tenants")) {
        tenants.add(maskSecrets(tenant).root().unwrapped());
      }
      out = out.withValue("tenants", ConfigValueFactory.fromIterable(tenants));
    }
    return out;
  }

  /** The masked rendering: the record's default would print every password held in {@code raw}. */
  @Override
  public String toString() {
    return "TenantfoldConfig[" + renderMasked() + "]";
  }

  /**
   * Every password and S3 key in the configuration, so free text (exceptions) can be scrubbed of
   * them.
   */
  public List<String> secrets() {
    List<String> out = new ArrayList<>();
    out.add(target.endpoint().password());
    tenants.forEach(t -> out.addAll(t.passwords()));
    s3.accessKey().ifPresent(out::add);
    s3.secretKey().ifPresent(out::add);
    return out.stream().filter(s -> s != null && !s.isEmpty()).toList();
  }
}
