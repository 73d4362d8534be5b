package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.List;
import java.util.Optional;

/**
 * A tenant read from an RDS snapshot export: {@code path} is the export root (the folder holding
 * {@code export_info_<id>.json}; {@code s3a://}, {@code s3://} or local), {@code database} the
 * exported database, {@code catalog} an optional connection used only to read the tenant's catalog
 * (exact types, keys, enum labels), never table data; it takes the auth and TLS keys every jdbc
 * block takes ({@link JdbcAuth}).
 */
public record ExportConfig(
    String path, String database, List<String> schemas, Optional<JdbcEndpoint> catalog) {
  public ExportConfig {
    schemas = List.copyOf(schemas);
  }

  static ExportConfig from(ConfigReader c, String tenantId) {
    return from(c, tenantId, AwsConfig.defaults());
  }

  /**
   * @param aws the job's AWS settings, for the catalog connection's {@code auth = iam} and {@code
   *     password-secret}
   */
  private static final KeyBlock KEYS = new KeyBlock("tenantfold.tenants[].export");

  private static final ConfigKey<String> PATH = KEYS.string("path");
  private static final ConfigKey<String> DATABASE = KEYS.string("database");
  static final ConfigKey<List<String>> SCHEMAS = KEYS.sourceSchemas("schemas");
  private static final ConfigKey<ConfigReader> CATALOG = KEYS.block("catalog");

  private static final KeyBlock CATALOG_KEYS = new KeyBlock("tenantfold.tenants[].export.catalog");
  private static final ConfigKey<String> CATALOG_URL = CATALOG_KEYS.string("url");
  private static final JdbcAuth.Keys CATALOG_AUTH = JdbcAuth.declare(CATALOG_KEYS);

  /** Whether the export block {@code export} sets its {@code catalog} connection. */
  static boolean namesCatalog(ConfigReader export) {
    return export.has(CATALOG);
  }

  static ExportConfig from(ConfigReader block, String tenantId, AwsConfig aws) {
    ConfigReader c = KEYS.checked(block);
    String path =
        c.requiredString(
            PATH.name(),
            "set the export root of tenant "
                + tenantId
                + ", e.g. s3a://bucket/prefix/<export-task-id>");
    if (path.startsWith("s3://")) {
      path = "s3a://" + path.substring("s3://".length());
    }
    String database =
        c.requiredString(DATABASE.name(), "set the exported database of tenant " + tenantId);
    List<String> schemas = c.get(SCHEMAS);
    Optional<JdbcEndpoint> catalog = Optional.empty();
    if (c.has(CATALOG)) {
      catalog = Optional.of(catalog(CATALOG_KEYS.checked(c.get(CATALOG)), tenantId, aws));
    }
    return new ExportConfig(path, database, schemas, catalog);
  }

  /**
   * The export's {@code catalog} connection: the same auth and TLS keys as every connection block
   * (config/JdbcAuth).
   */
  private static JdbcEndpoint catalog(ConfigReader cat, String tenantId, AwsConfig aws) {
    String url =
        cat.requiredString(
            CATALOG_URL.name(),
            "set the catalog connection of tenant "
                + tenantId
                + ", e.g. jdbc:postgresql://host:5432/"
                + tenantId);
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new ConfigError(
          "Cannot read config key "
              + cat.key(CATALOG_URL)
              + ": tenant "
              + tenantId
              + "'s catalog URL must start with jdbc:postgresql:");
    }
    String whose = "the catalog of tenant " + tenantId;
    return new JdbcEndpoint(
        url,
        cat.get(CATALOG_AUTH.user()).orElse(null),
        cat.get(CATALOG_AUTH.password()).orElse(null),
        whose,
        JdbcAuth.properties(cat, CATALOG_AUTH, aws, whose));
  }
}
