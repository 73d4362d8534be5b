package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.Set;

/** The consolidated Aurora/PostgreSQL database: where tables, staging and report tables live. */
public record TargetConfig(JdbcEndpoint endpoint, String schema, String reportSchema, String stagingSchema, String partitionSchema) {

  static TargetConfig from(ConfigReader c) {
    c.rejectUnknown(Set.of("url", "user", "password", "schema", "report-schema", "staging-schema", "partition-schema"));
    String url = c.requiredString("url", "set the target database JDBC URL, e.g. jdbc:postgresql://host:5432/warehouse");
    JdbcEndpoint endpoint = new JdbcEndpoint(url, c.optionalString("user", null), c.optionalString("password", null));
    String partitionSchema = c.string("partition-schema");
    if (partitionSchema.equals(c.string("schema"))) {
      throw new ConfigError("Config key " + c.key("partition-schema") + " must differ from " + c.key("schema")
          + ": tenant partitions live apart from the consolidated tables so their names can never collide");
    }
    return new TargetConfig(endpoint, c.string("schema"), c.string("report-schema"), c.string("staging-schema"), partitionSchema);
  }
}
