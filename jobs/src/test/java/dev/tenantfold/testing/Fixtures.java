package dev.tenantfold.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.demo.DemoData;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Named builders for tenant databases and job configurations used across integration tests. */
public final class Fixtures {
  private Fixtures() {}

  /**
   * A tenant database holding the demo schema with awkward values and {@code customers} bulk
   * customers.
   */
  public static String demoTenant(String label, int customers) {
    String url = TestPostgres.createDatabase("tenant_" + label);
    try (Connection conn = TestPostgres.connect(url)) {
      DemoData.createTenant(conn, label, customers);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create demo tenant " + label, e);
    }
    return url;
  }

  public static String emptyWarehouse() {
    return TestPostgres.createDatabase("warehouse");
  }

  /** A config builder: target, tenants (id -> url), and any extra settings as key -> value. */
  public static final class ConfigBuilder {
    private final String targetUrl;
    private final Map<String, Map<String, Object>> tenants = new LinkedHashMap<>();
    private Config extra = ConfigFactory.empty();

    public ConfigBuilder(String targetUrl) {
      this.targetUrl = targetUrl;
    }

    public ConfigBuilder tenant(String id, String url) {
      return tenant(id, url, "postgres", "postgres");
    }

    public ConfigBuilder tenant(String id, String url, String user, String password) {
      Map<String, Object> jdbc = new LinkedHashMap<>();
      jdbc.put("url", url);
      jdbc.put("user", user);
      jdbc.put("password", password);
      tenants.put(id, Map.of("id", id, "jdbc", jdbc));
      return this;
    }

    /**
     * A tenant read from the RDS snapshot export at {@code path}, its catalog read over JDBC from
     * {@code catalogUrl} (null: none).
     */
    public ConfigBuilder exportTenant(String id, String path, String database, String catalogUrl) {
      Map<String, Object> export = new LinkedHashMap<>();
      export.put("path", path);
      export.put("database", database);
      if (catalogUrl != null) {
        export.put(
            "catalog", Map.of("url", catalogUrl, "user", "postgres", "password", "postgres"));
      }
      tenants.put(id, Map.of("id", id, "export", export));
      return this;
    }

    /** A tenant whose tables live in {@code schemas} (the default is [public]). */
    public ConfigBuilder tenantInSchemas(String id, String url, List<String> schemas) {
      Map<String, Object> jdbc = new LinkedHashMap<>();
      jdbc.put("url", url);
      jdbc.put("user", "postgres");
      jdbc.put("password", "postgres");
      jdbc.put("schemas", schemas);
      tenants.put(id, Map.of("id", id, "jdbc", jdbc));
      return this;
    }

    public ConfigBuilder set(String key, Object value) {
      extra = extra.withValue("tenantfold." + key, ConfigValueFactory.fromAnyRef(value));
      return this;
    }

    public TenantfoldConfig build(Path reportDir) {
      List<Object> list = new ArrayList<>(tenants.values());
      Config c =
          extra
              .withValue("tenantfold.target.url", ConfigValueFactory.fromAnyRef(targetUrl))
              .withValue("tenantfold.target.user", ConfigValueFactory.fromAnyRef("postgres"))
              .withValue("tenantfold.target.password", ConfigValueFactory.fromAnyRef("postgres"))
              .withValue("tenantfold.tenants", ConfigValueFactory.fromIterable(list))
              .withValue(
                  "tenantfold.report.dir", ConfigValueFactory.fromAnyRef(reportDir.toString()));
      return TenantfoldConfig.fromConfig(c);
    }
  }

  public static ConfigBuilder config(String targetUrl) {
    return new ConfigBuilder(targetUrl);
  }

  /**
   * Makes the target misbehave: every staging table created for {@code table} from now on gets a
   * BEFORE INSERT row trigger running {@code body} (plpgsql; return NULL to drop the row).
   */
  public static void stagingTrigger(String warehouseUrl, String table, String body) {
    TestPostgres.execute(
        warehouseUrl,
        """
        CREATE FUNCTION tamper_%1$s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN %2$s END $$;
        CREATE FUNCTION add_tamper_%1$s() RETURNS event_trigger LANGUAGE plpgsql AS $$
        DECLARE obj record;
        BEGIN
          FOR obj IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
            IF obj.object_identity ~ '^tenantfold_staging[.]s[0-9]+_%1$s__' THEN
              EXECUTE format('CREATE TRIGGER tamper BEFORE INSERT ON %%s FOR EACH ROW EXECUTE FUNCTION tamper_%1$s()', obj.object_identity);
            END IF;
          END LOOP;
        END $$;
        CREATE EVENT TRIGGER tamper_%1$s ON ddl_command_end EXECUTE FUNCTION add_tamper_%1$s();
        """
            .formatted(table, body));
  }
}
