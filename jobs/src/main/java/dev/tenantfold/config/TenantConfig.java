package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Redaction;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One source tenant: exactly one of a live database ({@code jdbc}) or an RDS snapshot export
 * ({@code export}). {@code jdbc} is null for an export tenant. A {@code jdbc} tenant with {@code
 * restore} is read from a temporary copy restored from its instance's backups, never from the URL's
 * host ({@link RestoreConfig}). {@code catchUp} says how changes after the base copy are captured
 * ({@link CatchUpConfig}; {@code none} unless the tenant's {@code catch-up} block says otherwise).
 */
public record TenantConfig(
    String id,
    JdbcEndpoint jdbc,
    List<String> schemas,
    Optional<ExportConfig> export,
    Optional<RestoreConfig> restore,
    Optional<String> instance,
    CatchUpConfig catchUp) {
  private static final String JDBC_PREFIX = "jdbc:postgresql:";
  private static final Pattern TENANT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  public TenantConfig {
    schemas = List.copyOf(schemas);
  }

  public TenantConfig(
      String id,
      JdbcEndpoint jdbc,
      List<String> schemas,
      Optional<ExportConfig> export,
      Optional<RestoreConfig> restore,
      Optional<String> instance) {
    this(id, jdbc, schemas, export, restore, instance, CatchUpConfig.none(id));
  }

  public TenantConfig(String id, JdbcEndpoint jdbc, List<String> schemas) {
    this(id, jdbc, schemas, Optional.empty());
  }

  public TenantConfig(
      String id, JdbcEndpoint jdbc, List<String> schemas, Optional<ExportConfig> export) {
    this(id, jdbc, schemas, export, Optional.empty(), Optional.empty());
  }

  /**
   * The same tenant read from {@code source} (a restored copy): same database, user, credentials,
   * schemas.
   */
  public TenantConfig readingFrom(JdbcEndpoint source) {
    return new TenantConfig(id, source, schemas, export, restore, instance, catchUp);
  }

  /**
   * The RDS instance the tenant lives on: {@code instance}, else {@code restore.source-instance}.
   */
  public Optional<String> rdsInstance() {
    return instance.or(() -> restore.map(RestoreConfig::sourceInstance));
  }

  /**
   * The production database catch-up streams from: {@code jdbc}, or an export tenant's {@code
   * export.catalog} (null when neither).
   */
  public JdbcEndpoint catchUpSource() {
    return jdbc != null ? jdbc : export.flatMap(ExportConfig::catalog).orElse(null);
  }

  /**
   * This tenant as catch-up sees it: an export tenant connects to production through {@code
   * export.catalog} (its {@code jdbc} becomes that); any other tenant as it is.
   */
  public TenantConfig forCatchUp() {
    return jdbc != null || catchUpSource() == null ? this : readingFrom(catchUpSource());
  }

  /**
   * Where the tenant's rows come from ({@link SourceSpec}): an export, a copy restored from
   * backups, or the live database. Outside {@code config} and {@code source}, code asks it what it
   * needs and never which kind it is (PackageRulesTest).
   */
  public SourceSpec source() {
    if (export.isPresent()) {
      return new SourceSpec.Export(export.get());
    }
    if (restore.isPresent()) {
      return new SourceSpec.RestoredCopy(jdbc, restore.get());
    }
    return new SourceSpec.Jdbc(jdbc);
  }

  /** Whether the tenant is read from an export; for {@code config} and {@code source} only. */
  public boolean isExport() {
    return export.isPresent();
  }

  /** The passwords this tenant's config holds. */
  public List<String> passwords() {
    List<String> out = new java.util.ArrayList<>();
    if (jdbc != null) {
      out.add(jdbc.password());
    }
    export.flatMap(ExportConfig::catalog).ifPresent(c -> out.add(c.password()));
    return out;
  }

  static TenantConfig from(ConfigReader c) {
    return from(c, AwsConfig.defaults());
  }

  static TenantConfig from(ConfigReader c, AwsConfig aws) {
    c.rejectUnknown(Set.of("id", "jdbc", "export", "restore", "instance", "catch-up"));
    String id = c.requiredString("id", "give every tenant an id, e.g. id = acme");
    if (!TENANT_ID.matcher(id).matches()) {
      throw new ConfigError(
          "Config key "
              + c.key("id")
              + " = '"
              + id
              + "' is not a valid tenant id: use letters, digits, '_', '-' or '.', starting with a"
              + " letter or digit, at most 63 characters");
    }
    if (c.has("jdbc") && c.has("export")) {
      throw new ConfigError(
          "Cannot read tenant "
              + id
              + " at "
              + c.key("id").replaceAll("\\.id$", "")
              + ": it has both jdbc and export;"
              + " a tenant is read from exactly one source: remove one of the two blocks");
    }
    if (c.has("export") && c.has("restore")) {
      throw new ConfigError(
          "Cannot restore tenant "
              + id
              + " ("
              + c.key("restore")
              + "): it is read from an export; restore applies to jdbc tenants");
    }
    CatchUpConfig catchUp = CatchUpConfig.from(c.block("catch-up"), id);
    if (catchUp.logical() && c.has("export") && !c.block("export").has("catalog")) {
      // Its changes stream from production: export.catalog is that connection.
      throw new ConfigError(
          "Cannot catch up tenant "
              + id
              + " ("
              + c.key("catch-up.mode")
              + " = logical): an export tenant's changes stream from its production database,"
              + " and "
              + c.key("export.catalog")
              + " is that connection; set export.catalog { url = ..., user = ..., password = ..."
              + " } (a role with the replication right), or set mode = none");
    }
    if (catchUp.cursor() && c.has("export")) {
      // The watermark must be read from the very rows the base copy loads; an export's rows are
      // Parquet files read by Spark, and production has moved on since the snapshot.
      throw new ConfigError(
          "Cannot catch up tenant "
              + id
              + " ("
              + c.key("catch-up.mode")
              + " = cursor): its base copy is read from an export's files, and the starting"
              + " watermark must be read in the same data as the base copy (production's rows"
              + " have changed since the snapshot, so a watermark read there could skip changes);"
              + " read the tenant through jdbc (live, or a restore block), or use mode = logical"
              + " with export.catalog, or mode = none");
    }
    if (c.has("export")) {
      ExportConfig export = ExportConfig.from(c.block("export"), id, aws);
      return new TenantConfig(
          id,
          null,
          export.schemas(),
          Optional.of(export),
          Optional.empty(),
          Optional.ofNullable(c.optionalString("instance", null)),
          catchUp);
    }
    if (!c.has("jdbc")) {
      throw new ConfigError(
          "Missing required config key "
              + c.key("jdbc")
              + ": tenant "
              + id
              + " needs a source, e.g. jdbc { url = ..., user = ..., password = ... }"
              + " or export { path = ..., database = ... }");
    }
    ConfigReader jdbc = c.block("jdbc");
    jdbc.rejectUnknown(JdbcAuth.withKeys("url", "user", "password", "schemas"));
    String url =
        jdbc.requiredString(
            "url", "set tenant " + id + "'s JDBC URL, e.g. jdbc:postgresql://host:5432/" + id);
    String password = jdbc.optionalString("password", null);
    if (!url.startsWith(JDBC_PREFIX)) {
      // Redacted: a URL can carry a password in its user info or parameters.
      throw new ConfigError(
          "Cannot read config key "
              + jdbc.key("url")
              + ": tenant "
              + id
              + "'s URL must start with "
              + JDBC_PREFIX
              + " (got "
              + Redaction.redactText(Redaction.redactUrl(url), Arrays.asList(password))
              + "); write it as jdbc:postgresql://host:5432/database, e.g."
              + " jdbc:postgresql://db.example:5432/"
              + id);
    }
    List<String> schemas = jdbc.has("schemas") ? jdbc.stringList("schemas") : List.of("public");
    if (schemas.isEmpty()) {
      throw new ConfigError(
          "Config key "
              + jdbc.key("schemas")
              + " is empty: list at least one source schema (tenant "
              + id
              + ")");
    }
    Optional<RestoreConfig> restore =
        c.has("restore")
            ? Optional.of(RestoreConfig.from(c.block("restore"), id))
            : Optional.empty();
    return new TenantConfig(
        id,
        new JdbcEndpoint(
            url,
            jdbc.optionalString("user", null),
            password,
            "the source of tenant " + id,
            JdbcAuth.properties(jdbc, aws, "tenant " + id)),
        schemas,
        Optional.empty(),
        restore,
        Optional.ofNullable(c.optionalString("instance", null)),
        catchUp);
  }
}
