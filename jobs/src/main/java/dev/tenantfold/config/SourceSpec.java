package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where one tenant's rows come from, as its config says: a live database ({@link Jdbc}), an RDS
 * snapshot export ({@link Export}) or a copy restored from the instance's backups ({@link
 * RestoredCopy}). Parsed once with the tenant ({@link TenantConfig#source}). Code outside {@code
 * config} and {@code source} asks it what it needs to know (a question per concern, such as {@link
 * #readsThroughSpark}) and never which kind it is: an ArchUnit rule holds that, so a new kind is a
 * record here and a {@code source.TenantSource}, not a branch in every job.
 */
public sealed interface SourceSpec {
  /** The tenant's config block that names the source ({@code jdbc} or {@code export}). */
  default String block() {
    return blockKey().name();
  }

  /**
   * The key of that block, for messages: {@code blockKey().path(i)} is {@code
   * tenantfold.tenants[i].jdbc} or {@code tenantfold.tenants[i].export}.
   */
  ConfigKey<ConfigReader> blockKey();

  /**
   * The key listing the source schemas the rows are read from, for messages: {@code
   * tenantfold.tenants[i].jdbc.schemas} or {@code tenantfold.tenants[i].export.schemas}.
   */
  ConfigKey<List<String>> schemasKey();

  /** Where the rows are read from before the source is opened; no credentials. */
  String describe();

  /**
   * The database the rows are read from, the same text for two tenants that read the same one:
   * {@code host:port/database} of a JDBC URL ({@link #databaseOf}), or an export's path and
   * database.
   */
  String identity();

  /** The name of the database the rows live in: the JDBC URL's database, or the exported one. */
  String databaseName();

  /**
   * The connection the tenant's catalog (keys, exact types, indexes, code) is read through: the
   * database, or an export's {@code export.catalog} when it has one.
   */
  Optional<JdbcEndpoint> catalogConnection();

  /**
   * Whether the rows are read through Spark (an export's Parquet files): its column names must
   * differ by more than case, and reading it needs a Spark session.
   */
  default boolean readsThroughSpark() {
    return false;
  }

  /**
   * Whether the source's side of the checksum runs as SQL in its PostgreSQL server, which must then
   * be 13 or later ({@code trim_scale}); an export's runs in Spark.
   */
  default boolean checksumsOnServer() {
    return true;
  }

  /**
   * Whether the source's own catalog lacks keys, exact types and partition parents (an export
   * without {@code export.catalog}): planning fills them in from the target and the other tenants,
   * and the source opens with what planning made of it.
   */
  default boolean catalogIncomplete() {
    return false;
  }

  /**
   * Whether {@code tenantfold export} can take a snapshot export of the source: a database can; an
   * export tenant only through its catch-up connection.
   */
  default boolean exportable() {
    return true;
  }

  /** The restore block, when the rows are read from a copy restored from backups. */
  default Optional<RestoreConfig> restoredFrom() {
    return Optional.empty();
  }

  /** A live PostgreSQL database, read in one exported snapshot. */
  record Jdbc(JdbcEndpoint endpoint) implements SourceSpec {
    @Override
    public ConfigKey<ConfigReader> blockKey() {
      return TenantConfig.JDBC;
    }

    @Override
    public ConfigKey<List<String>> schemasKey() {
      return TenantConfig.SCHEMAS;
    }

    @Override
    public String describe() {
      return endpoint.describe();
    }

    @Override
    public String identity() {
      return databaseOf(endpoint.url());
    }

    @Override
    public String databaseName() {
      return SourceSpec.databaseName(endpoint.url());
    }

    @Override
    public Optional<JdbcEndpoint> catalogConnection() {
      return Optional.of(endpoint);
    }
  }

  /** An RDS snapshot export ({@code export} block), read through Spark. */
  record Export(ExportConfig export) implements SourceSpec {
    @Override
    public ConfigKey<ConfigReader> blockKey() {
      return TenantConfig.EXPORT;
    }

    @Override
    public ConfigKey<List<String>> schemasKey() {
      return ExportConfig.SCHEMAS;
    }

    @Override
    public String describe() {
      return "snapshot export at " + export.path();
    }

    @Override
    public String identity() {
      return "export " + export.path() + " database " + export.database();
    }

    @Override
    public String databaseName() {
      return export.database();
    }

    @Override
    public Optional<JdbcEndpoint> catalogConnection() {
      return export.catalog();
    }

    @Override
    public boolean readsThroughSpark() {
      return true;
    }

    @Override
    public boolean checksumsOnServer() {
      return false;
    }

    @Override
    public boolean catalogIncomplete() {
      return export.catalog().isEmpty();
    }

    @Override
    public boolean exportable() {
      return false;
    }
  }

  /**
   * A temporary copy restored from the backups of the instance {@code endpoint} names ({@code jdbc}
   * and {@code restore} blocks): read as a {@link Jdbc} source with the copy's host and port once
   * restored ({@link TenantConfig#readingFrom}).
   */
  record RestoredCopy(JdbcEndpoint endpoint, RestoreConfig restore) implements SourceSpec {
    /** The copy (or, before it is restored, the instance) as a database. */
    private Jdbc database() {
      return new Jdbc(endpoint);
    }

    @Override
    public ConfigKey<ConfigReader> blockKey() {
      return database().blockKey();
    }

    @Override
    public ConfigKey<List<String>> schemasKey() {
      return database().schemasKey();
    }

    @Override
    public String describe() {
      return database().describe();
    }

    @Override
    public String identity() {
      return database().identity();
    }

    @Override
    public String databaseName() {
      return database().databaseName();
    }

    @Override
    public Optional<JdbcEndpoint> catalogConnection() {
      return database().catalogConnection();
    }

    @Override
    public Optional<RestoreConfig> restoredFrom() {
      return Optional.of(restore);
    }
  }

  /** The database name of a PostgreSQL JDBC URL ({@code postgres} when it names none). */
  static String databaseName(String url) {
    String rest = url.substring("jdbc:postgresql:".length());
    int q = rest.indexOf('?');
    rest = q < 0 ? rest : rest.substring(0, q);
    if (rest.startsWith("//")) {
      int slash = rest.indexOf('/', 2);
      return slash < 0 ? "postgres" : rest.substring(slash + 1);
    }
    return rest;
  }

  /**
   * {@code host:port/database} of a PostgreSQL JDBC URL: hosts lower-cased, the default port 5432
   * added, the loopback names ({@code localhost}, {@code 127.0.0.1}, {@code ::1}) taken as one,
   * several hosts sorted; parameters and user info dropped.
   */
  static String databaseOf(String jdbcUrl) {
    String rest = jdbcUrl.replaceFirst("^jdbc:postgresql:", "");
    if (!rest.startsWith("//")) {
      return "localhost:5432/" + rest.replaceFirst("[?].*$", "");
    }
    rest = rest.substring(2);
    int slash = rest.indexOf('/');
    String hostList = slash < 0 ? rest : rest.substring(0, slash);
    String database = slash < 0 ? "" : rest.substring(slash + 1).replaceFirst("[?].*$", "");
    if (hostList.contains("@")) {
      hostList = hostList.substring(hostList.lastIndexOf('@') + 1);
    }
    List<String> hosts = new ArrayList<>();
    for (String host : hostList.split(",")) {
      String h = host.toLowerCase(Locale.ROOT);
      String port = "5432";
      int colon = h.lastIndexOf(':');
      if (colon >= 0 && h.substring(colon + 1).matches("\\d+") && !h.endsWith("]")) {
        port = h.substring(colon + 1);
        h = h.substring(0, colon);
      }
      if (h.isEmpty() || h.equals("127.0.0.1") || h.equals("[::1]") || h.equals("::1")) {
        h = "localhost";
      }
      hosts.add(h + ":" + port);
    }
    hosts.sort(null);
    return String.join(",", hosts) + "/" + database;
  }
}
