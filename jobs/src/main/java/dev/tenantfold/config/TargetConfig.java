package dev.tenantfold.config;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.Set;

/** The consolidated Aurora/PostgreSQL database: where tables, staging and report tables live. */
public record TargetConfig(JdbcEndpoint endpoint, String schema, String reportSchema, String stagingSchema) {

  static TargetConfig from(ConfigReader c) {
    c.rejectUnknown(Set.of("url", "user", "password", "schema", "report-schema", "staging-schema"));
    String url = c.requiredString("url", "set the target database JDBC URL, e.g. jdbc:postgresql://host:5432/warehouse");
    JdbcEndpoint endpoint = new JdbcEndpoint(url, c.optionalString("user", null), c.optionalString("password", null));
    return new TargetConfig(endpoint, c.string("schema"), c.string("report-schema"), c.string("staging-schema"));
  }
}
