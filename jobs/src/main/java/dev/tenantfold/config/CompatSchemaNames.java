package dev.tenantfold.config;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The names of the compatibility schemas ({@code target.compat-schemas}): one per tenant and
 * consolidated source schema, named by the <em>source</em> schema (a {@code schema-map} renaming
 * {@code sales} to {@code sales_mt} does not change them, since the application knew {@code
 * sales}): {@code <prefix><tenant>} for {@code public}, {@code <prefix><tenant>_<schema>} for any
 * other, so an application whose search path was {@code public, sales} sets {@code tenant_acme,
 * tenant_acme_sales}.
 *
 * <p>Checked once with the config ({@link #check}): a name longer than PostgreSQL's 63 bytes, two
 * tenants' schemas landing on one name ({@code tenant a} with schema {@code b_sales} and tenant
 * {@code a_b} with schema {@code sales}), or a name that is also a schema Tenantfold consolidates
 * into or keeps its own tables in are config errors: the rebuild drops and recreates these schemas.
 */
public final class CompatSchemaNames {
  private static final int MAX_IDENTIFIER_BYTES = 63;

  private CompatSchemaNames() {}

  /** The compatibility schema of {@code tenantId}'s source schema {@code sourceSchema}. */
  public static String of(String prefix, String tenantId, String sourceSchema) {
    return SchemaMap.DEFAULT_SOURCE.equals(sourceSchema)
        ? prefix + tenantId
        : prefix + tenantId + "_" + sourceSchema;
  }

  /**
   * The source schemas a tenant's compatibility schemas mirror, in search-path order: the tenant's
   * own schemas as configured, then {@code public}, then the other consolidated source schemas
   * (sorted), each once.
   */
  public static List<String> mirrored(
      List<String> tenantSchemas, Collection<String> consolidatedSchemas) {
    Set<String> out = new LinkedHashSet<>(tenantSchemas);
    out.add(SchemaMap.DEFAULT_SOURCE);
    out.addAll(new TreeSet<>(consolidatedSchemas));
    return new ArrayList<>(out);
  }

  /**
   * Refuses compatibility schema names that cannot work: too long, shared by two tenants or source
   * schemas, or equal to a schema Tenantfold writes its consolidated, report, staging or partition
   * tables into. Every source schema any tenant reads may be consolidated, so each tenant is
   * checked against all of them.
   */
  static void check(TargetConfig target, List<TenantConfig> tenants) {
    if (target.compatSchemaPrefix().isEmpty()) {
      return;
    }
    String prefix = target.compatSchemaPrefix().get();
    Set<String> sourceSchemas = new LinkedHashSet<>();
    tenants.forEach(t -> sourceSchemas.addAll(t.schemas()));
    Map<String, String> reserved = new LinkedHashMap<>();
    reserved.put(target.schema(), "target.schema");
    reserved.put(target.reportSchema(), "target.report-schema");
    reserved.put(target.stagingSchema(), "target.staging-schema");
    reserved.put(target.partitionSchema(), "target.partition-schema");
    for (String source : sourceSchemas) {
      reserved.putIfAbsent(
          target.schemas().targetSchema(source), "the target schema of source schema " + source);
    }
    Map<String, String> owners = new LinkedHashMap<>();
    for (TenantConfig tenant : tenants) {
      for (String source : mirrored(tenant.schemas(), sourceSchemas)) {
        String name = of(prefix, tenant.id(), source);
        String owner = "tenant " + tenant.id() + ", source schema " + source;
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_IDENTIFIER_BYTES) {
          throw new ConfigError(
              "Cannot name the compatibility schema of "
                  + owner
                  + ": "
                  + name
                  + " is "
                  + bytes
                  + " bytes, more than"
                  + " PostgreSQL's 63; shorten tenantfold.target.compat-schema-prefix = '"
                  + prefix
                  + "' or the tenant id");
        }
        if (reserved.containsKey(name)) {
          throw new ConfigError(
              "Cannot use "
                  + name
                  + " as the compatibility schema of "
                  + owner
                  + ": it is "
                  + reserved.get(name)
                  + ", and compatibility schemas are dropped and rebuilt on every publish; change"
                  + " tenantfold.target.compat-schema-prefix");
        }
        String other = owners.putIfAbsent(name, owner);
        if (other != null) {
          throw new ConfigError(
              "Cannot use "
                  + name
                  + " as the compatibility schema of both "
                  + other
                  + " and "
                  + owner
                  + " (names are <prefix><tenant> for public, <prefix><tenant>_<schema> for"
                  + " others); give one of the tenants another id");
        }
      }
    }
  }
}
