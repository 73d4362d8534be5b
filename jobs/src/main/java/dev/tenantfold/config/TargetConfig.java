package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The consolidated Aurora/PostgreSQL database: where tables, staging and report tables live, and
 * whether its consolidated tables isolate tenants with row-level security (docs/security.md).
 *
 * @param rowLevelSecurity {@code target.row-level-security}: policies on every consolidated table
 *     let a session see and write only the rows of the tenant named in {@code tenantSetting}
 * @param tenantSetting {@code target.tenant-setting}: the session setting the policies read ({@code
 *     SET app.tenant_id = 'acme'})
 * @param applicationRole {@code target.application-role}: a role granted USAGE on the target schema
 *     and SELECT, INSERT, UPDATE, DELETE on the consolidated tables (never on partitions)
 * @param compatSchemaPrefix {@code target.compat-schema-prefix}, present when {@code
 *     target.compat-schemas} is on: each tenant gets a schema of this prefix and its id, with one
 *     updatable view of its rows per consolidated table and its own views and functions recreated
 * @param schemas {@code target.schema-map}: the target schema of each source schema's tables and
 *     types ({@code public} into {@code schema}, others into their namesakes unless mapped)
 */
public record TargetConfig(
    JdbcEndpoint endpoint,
    String schema,
    String reportSchema,
    String stagingSchema,
    String partitionSchema,
    boolean rowLevelSecurity,
    String tenantSetting,
    Optional<String> applicationRole,
    Optional<String> compatSchemaPrefix,
    SchemaMap schemas) {
  /**
   * A customized option name: a dot between two plain identifiers (PostgreSQL needs the prefix).
   */
  private static final Pattern SETTING =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_.]*");

  private static final Pattern PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,30}");
  private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$-]{0,62}");

  /** Only the settings; the endpoint is validated by {@link #from}. */
  public TargetConfig(
      JdbcEndpoint endpoint, String schema, String reportSchema, String stagingSchema) {
    this(
        endpoint,
        schema,
        reportSchema,
        stagingSchema,
        "tenantfold_partitions",
        false,
        "app.tenant_id",
        Optional.empty(),
        Optional.empty(),
        SchemaMap.of(schema));
  }

  static TargetConfig from(ConfigReader c) {
    return from(c, AwsConfig.defaults());
  }

  private static final KeyBlock KEYS = new KeyBlock("tenantfold.target");
  public static final ConfigKey<String> URL =
      KEYS.key(
          "url",
          (block, name) -> {
            String url =
                block.requiredString(
                    name,
                    "set the target database JDBC URL, e.g."
                        + " jdbc:postgresql://host:5432/warehouse");
            if (!url.startsWith("jdbc:postgresql:")) {
              // Another driver would only fail once Spark is up, as an error of the run (exit 1)
              // instead of a usage error.
              throw new ConfigError(
                  "Cannot use "
                      + block.key(name)
                      + ": the target must be PostgreSQL, a jdbc:postgresql: URL (got "
                      + scheme(url)
                      + "), e.g. jdbc:postgresql://host:5432/warehouse");
            }
            return url;
          });
  private static final JdbcAuth.Keys AUTH = JdbcAuth.declare(KEYS);
  public static final ConfigKey<Optional<String>> USER = AUTH.user();
  public static final ConfigKey<Optional<String>> PASSWORD = AUTH.password();
  public static final ConfigKey<String> SCHEMA = KEYS.string("schema");
  public static final ConfigKey<String> REPORT_SCHEMA = KEYS.string("report-schema");
  private static final ConfigKey<String> STAGING_SCHEMA = KEYS.string("staging-schema");
  private static final ConfigKey<String> PARTITION_SCHEMA = KEYS.string("partition-schema");
  private static final ConfigKey<Boolean> ROW_LEVEL_SECURITY = KEYS.bool("row-level-security");
  private static final ConfigKey<String> TENANT_SETTING =
      KEYS.key(
          "tenant-setting",
          (block, name) -> {
            String setting = block.string(name);
            if (!SETTING.matcher(setting).matches()) {
              throw new ConfigError(
                  "Cannot use "
                      + block.key(name)
                      + " = '"
                      + setting
                      + "': row-level security policies need a custom setting name with a prefix,"
                      + " e.g. app.tenant_id");
            }
            return setting;
          });
  public static final ConfigKey<Optional<String>> APPLICATION_ROLE =
      KEYS.key(
          "application-role",
          (block, name) -> {
            Optional<String> role =
                Optional.ofNullable(block.optionalString(name, null)).filter(r -> !r.isBlank());
            if (role.isPresent() && !ROLE.matcher(role.get()).matches()) {
              throw new ConfigError(
                  "Cannot use "
                      + block.key(name)
                      + " = '"
                      + role.get()
                      + "': expected a role name (letters, digits, _)");
            }
            return role;
          });
  public static final ConfigKey<Boolean> COMPAT_SCHEMAS = KEYS.bool("compat-schemas");
  public static final ConfigKey<String> COMPAT_SCHEMA_PREFIX =
      KEYS.key(
          "compat-schema-prefix",
          (block, name) -> {
            String prefix = block.string(name);
            if (!PREFIX.matcher(prefix).matches()) {
              throw new ConfigError(
                  "Cannot use "
                      + block.key(name)
                      + " = '"
                      + prefix
                      + "': expected the start of a schema name (lower-case letters, digits, _),"
                      + " e.g. tenant_");
            }
            return prefix;
          });
  public static final ConfigKey<ConfigReader> SCHEMA_MAP = KEYS.block("schema-map");

  static TargetConfig from(ConfigReader block, AwsConfig aws) {
    ConfigReader c = KEYS.checked(block);
    JdbcEndpoint endpoint =
        new JdbcEndpoint(
            c.get(URL),
            c.get(AUTH.user()).orElse(null),
            c.get(AUTH.password()).orElse(null),
            "the target",
            JdbcAuth.properties(c, AUTH, aws, "the target"));
    String schema = c.get(SCHEMA);
    String partitionSchema = c.get(PARTITION_SCHEMA);
    if (partitionSchema.equals(schema)) {
      throw new ConfigError(
          "Config key "
              + c.key(PARTITION_SCHEMA)
              + " must differ from "
              + c.key(SCHEMA)
              + ": tenant partitions live apart from the consolidated tables so their names can"
              + " never collide");
    }
    String setting = c.get(TENANT_SETTING);
    Optional<String> role = c.get(APPLICATION_ROLE);
    boolean rls = c.get(ROW_LEVEL_SECURITY);
    if (role.isPresent() && !rls) {
      // Granting the consolidated tables to an application without policies would show it every
      // tenant.
      throw new ConfigError(
          "Cannot grant the consolidated tables to "
              + c.key(APPLICATION_ROLE)
              + " = "
              + role.get()
              + " without row-level security: set "
              + c.key(ROW_LEVEL_SECURITY)
              + " = true, or remove the role");
    }
    Optional<String> compatPrefix =
        c.get(COMPAT_SCHEMAS) ? Optional.of(c.get(COMPAT_SCHEMA_PREFIX)) : Optional.empty();
    SchemaMap schemas =
        c.has(SCHEMA_MAP) ? SchemaMap.from(c.get(SCHEMA_MAP), schema) : SchemaMap.of(schema);
    String reportSchema = c.get(REPORT_SCHEMA);
    String stagingSchema = c.get(STAGING_SCHEMA);
    for (String own : List.of(reportSchema, stagingSchema, partitionSchema)) {
      if (schemas.mapped().containsValue(own)) {
        throw new ConfigError(
            "Cannot use "
                + c.key(SCHEMA_MAP)
                + ": it maps a source schema to "
                + own
                + ", which tenantfold keeps for its"
                + " report, staging or partition tables; map it to another schema");
      }
    }
    return new TargetConfig(
        endpoint,
        schema,
        reportSchema,
        stagingSchema,
        partitionSchema,
        rls,
        setting,
        role,
        compatPrefix,
        schemas);
  }

  /**
   * The URL's driver prefix only ({@code jdbc:mysql:}): the rest of a URL may carry credentials.
   */
  private static String scheme(String url) {
    var m = Pattern.compile("^jdbc:[A-Za-z0-9]{1,20}:").matcher(url);
    return m.find() ? m.group() : "a URL not starting with jdbc:";
  }

  /** The compatibility schema of {@code tenantId} (when {@code target.compat-schemas} is on). */
  public Optional<String> compatSchema(String tenantId) {
    return compatSchemaPrefix.map(p -> p + tenantId);
  }
}
