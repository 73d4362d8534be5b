package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Redaction;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
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

  private static final KeyBlock KEYS = new KeyBlock("tenantfold.tenants[]");
  private static final ConfigKey<String> ID =
      KEYS.key(
          "id",
          (block, name) -> {
            String id = block.requiredString(name, "give every tenant an id, e.g. id = acme");
            if (!TENANT_ID.matcher(id).matches()) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " = '"
                      + id
                      + "' is not a valid tenant id: use letters, digits, '_', '-' or '.',"
                      + " starting with a letter or digit, at most 63 characters");
            }
            return id;
          });
  static final ConfigKey<ConfigReader> JDBC = KEYS.block("jdbc");
  static final ConfigKey<ConfigReader> EXPORT = KEYS.block("export");
  public static final ConfigKey<ConfigReader> RESTORE = KEYS.block("restore");
  private static final ConfigKey<Optional<String>> INSTANCE =
      KEYS.key("instance", (block, name) -> Optional.ofNullable(block.optionalString(name, null)));
  private static final ConfigKey<ConfigReader> CATCH_UP = KEYS.block("catch-up");

  private static final KeyBlock JDBC_KEYS = new KeyBlock("tenantfold.tenants[].jdbc");
  private static final ConfigKey<String> URL = JDBC_KEYS.string("url");
  private static final JdbcAuth.Keys AUTH = JdbcAuth.declare(JDBC_KEYS);
  static final ConfigKey<List<String>> SCHEMAS = JDBC_KEYS.sourceSchemas("schemas");

  static TenantConfig from(ConfigReader c, AwsConfig aws) {
    KEYS.checked(c);
    String id = c.get(ID);
    if (c.has(JDBC) && c.has(EXPORT)) {
      throw new ConfigError(
          "Cannot read tenant "
              + id
              + " at "
              + c.path()
              + ": it has both jdbc and export;"
              + " a tenant is read from exactly one source: remove one of the two blocks");
    }
    if (c.has(EXPORT) && c.has(RESTORE)) {
      throw new ConfigError(
          "Cannot restore tenant "
              + id
              + " ("
              + c.key(RESTORE)
              + "): it is read from an export; restore applies to jdbc tenants");
    }
    CatchUpConfig catchUp = CatchUpConfig.from(c.get(CATCH_UP), id);
    if (catchUp.logical() && c.has(EXPORT) && !ExportConfig.namesCatalog(c.get(EXPORT))) {
      // Its changes stream from production: export.catalog is that connection.
      throw new ConfigError(
          "Cannot catch up tenant "
              + id
              + " ("
              + c.key(CATCH_UP)
              + ".mode"
              + " = logical): an export tenant's changes stream from its production database,"
              + " and "
              + c.key(EXPORT)
              + ".catalog"
              + " is that connection; set export.catalog { url = ..., user = ..., password = ..."
              + " } (a role with the replication right), or set mode = none");
    }
    if (catchUp.cursor() && c.has(EXPORT)) {
      // The watermark must be read from the very rows the base copy loads; an export's rows are
      // Parquet files read by Spark, and production has moved on since the snapshot.
      throw new ConfigError(
          "Cannot catch up tenant "
              + id
              + " ("
              + c.key(CATCH_UP)
              + ".mode"
              + " = cursor): its base copy is read from an export's files, and the starting"
              + " watermark must be read in the same data as the base copy (production's rows"
              + " have changed since the snapshot, so a watermark read there could skip changes);"
              + " read the tenant through jdbc (live, or a restore block), or use mode = logical"
              + " with export.catalog, or mode = none");
    }
    if (c.has(EXPORT)) {
      ExportConfig export = ExportConfig.from(c.get(EXPORT), id, aws);
      return new TenantConfig(
          id,
          null,
          export.schemas(),
          Optional.of(export),
          Optional.empty(),
          c.get(INSTANCE),
          catchUp);
    }
    if (!c.has(JDBC)) {
      throw new ConfigError(
          "Missing required config key "
              + c.key(JDBC)
              + ": tenant "
              + id
              + " needs a source, e.g. jdbc { url = ..., user = ..., password = ... }"
              + " or export { path = ..., database = ... }");
    }
    ConfigReader jdbc = JDBC_KEYS.checked(c.get(JDBC));
    String url =
        jdbc.requiredString(
            URL.name(), "set tenant " + id + "'s JDBC URL, e.g. jdbc:postgresql://host:5432/" + id);
    String password = jdbc.get(AUTH.password()).orElse(null);
    if (!url.startsWith(JDBC_PREFIX)) {
      // Redacted: a URL can carry a password in its user info or parameters.
      throw new ConfigError(
          "Cannot read config key "
              + jdbc.key(URL)
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
    List<String> schemas = jdbc.get(SCHEMAS);
    Optional<RestoreConfig> restore =
        c.has(RESTORE) ? Optional.of(RestoreConfig.from(c.get(RESTORE), id)) : Optional.empty();
    return new TenantConfig(
        id,
        new JdbcEndpoint(
            url,
            jdbc.get(AUTH.user()).orElse(null),
            password,
            "the source of tenant " + id,
            JdbcAuth.properties(jdbc, AUTH, aws, "tenant " + id)),
        schemas,
        Optional.empty(),
        restore,
        c.get(INSTANCE),
        catchUp);
  }
}
