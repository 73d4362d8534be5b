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

  static TargetConfig from(ConfigReader c, AwsConfig aws) {
    c.rejectUnknown(
        JdbcAuth.withKeys(
            "url",
            "user",
            "password",
            "schema",
            "report-schema",
            "staging-schema",
            "partition-schema",
            "row-level-security",
            "tenant-setting",
            "application-role",
            "compat-schemas",
            "compat-schema-prefix",
            "schema-map"));
    String url =
        c.requiredString(
            "url", "set the target database JDBC URL, e.g. jdbc:postgresql://host:5432/warehouse");
    if (!url.startsWith("jdbc:postgresql:")) {
      // Another driver would only fail once Spark is up, as an error of the run (exit 1) instead of
      // a usage error.
      throw new ConfigError(
          "Cannot use "
              + c.key("url")
              + ": the target must be PostgreSQL, a jdbc:postgresql: URL (got "
              + scheme(url)
              + "), e.g. jdbc:postgresql://host:5432/warehouse");
    }
    JdbcEndpoint endpoint =
        new JdbcEndpoint(
            url,
            c.optionalString("user", null),
            c.optionalString("password", null),
            "the target",
            JdbcAuth.properties(c, aws, "the target"));
    String partitionSchema = c.string("partition-schema");
    if (partitionSchema.equals(c.string("schema"))) {
      throw new ConfigError(
          "Config key "
              + c.key("partition-schema")
              + " must differ from "
              + c.key("schema")
              + ": tenant partitions live apart from the consolidated tables so their names can"
              + " never collide");
    }
    String setting = c.string("tenant-setting");
    if (!SETTING.matcher(setting).matches()) {
      throw new ConfigError(
          "Cannot use "
              + c.key("tenant-setting")
              + " = '"
              + setting
              + "': row-level security policies need a custom setting name with a prefix, e.g."
              + " app.tenant_id");
    }
    Optional<String> role =
        Optional.ofNullable(c.optionalString("application-role", null)).filter(r -> !r.isBlank());
    if (role.isPresent() && !ROLE.matcher(role.get()).matches()) {
      throw new ConfigError(
          "Cannot use "
              + c.key("application-role")
              + " = '"
              + role.get()
              + "': expected a role name (letters, digits, _)");
    }
    boolean rls = c.bool("row-level-security");
    if (role.isPresent() && !rls) {
      // Granting the consolidated tables to an application without policies would show it every
      // tenant.
      throw new ConfigError(
          "Cannot grant the consolidated tables to "
              + c.key("application-role")
              + " = "
              + role.get()
              + " without row-level security: set "
              + c.key("row-level-security")
              + " = true, or remove the role");
    }
    Optional<String> compatPrefix = Optional.empty();
    if (c.bool("compat-schemas")) {
      String prefix = c.string("compat-schema-prefix");
      if (!PREFIX.matcher(prefix).matches()) {
        throw new ConfigError(
            "Cannot use "
                + c.key("compat-schema-prefix")
                + " = '"
                + prefix
                + "': expected the start of a schema name (lower-case letters, digits, _), e.g."
                + " tenant_");
      }
      compatPrefix = Optional.of(prefix);
    }
    SchemaMap schemas =
        c.has("schema-map")
            ? SchemaMap.from(c.block("schema-map"), c.string("schema"))
            : SchemaMap.of(c.string("schema"));
    for (String own :
        List.of(c.string("report-schema"), c.string("staging-schema"), partitionSchema)) {
      if (schemas.mapped().containsValue(own)) {
        throw new ConfigError(
            "Cannot use "
                + c.key("schema-map")
                + ": it maps a source schema to "
                + own
                + ", which tenantfold keeps for its"
                + " report, staging or partition tables; map it to another schema");
      }
    }
    return new TargetConfig(
        endpoint,
        c.string("schema"),
        c.string("report-schema"),
        c.string("staging-schema"),
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
