package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
  static ExportConfig from(ConfigReader c, String tenantId, AwsConfig aws) {
    c.rejectUnknown(Set.of("path", "database", "schemas", "catalog"));
    String path =
        c.requiredString(
            "path",
            "set the export root of tenant "
                + tenantId
                + ", e.g. s3a://bucket/prefix/<export-task-id>");
    if (path.startsWith("s3://")) {
      path = "s3a://" + path.substring("s3://".length());
    }
    String database =
        c.requiredString("database", "set the exported database of tenant " + tenantId);
    List<String> schemas = c.has("schemas") ? c.stringList("schemas") : List.of("public");
    if (schemas.isEmpty()) {
      throw new ConfigError(
          "Config key "
              + c.key("schemas")
              + " is empty: list at least one source schema (tenant "
              + tenantId
              + ")");
    }
    Optional<JdbcEndpoint> catalog = Optional.empty();
    if (c.has("catalog")) {
      ConfigReader cat = c.block("catalog");
      // The same auth and TLS keys as every jdbc block (config/JdbcAuth).
      cat.rejectUnknown(JdbcAuth.withKeys("url", "user", "password"));
      String url =
          cat.requiredString(
              "url",
              "set the catalog connection of tenant "
                  + tenantId
                  + ", e.g. jdbc:postgresql://host:5432/"
                  + tenantId);
      if (!url.startsWith("jdbc:postgresql:")) {
        throw new ConfigError(
            "Cannot read config key "
                + cat.key("url")
                + ": tenant "
                + tenantId
                + "'s catalog URL must start with jdbc:postgresql:");
      }
      catalog =
          Optional.of(
              new JdbcEndpoint(
                  url,
                  cat.optionalString("user", null),
                  cat.optionalString("password", null),
                  "the catalog of tenant " + tenantId,
                  JdbcAuth.properties(cat, aws, "the catalog of tenant " + tenantId)));
    }
    return new ExportConfig(path, database, schemas, catalog);
  }
}
