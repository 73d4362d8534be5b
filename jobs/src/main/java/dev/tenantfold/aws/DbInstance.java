package dev.tenantfold.aws;

import java.util.Map;
import java.util.Optional;

/** What the job needs to know of one DB instance: status, endpoint, engine and tags. */
public record DbInstance(
    String id,
    String status,
    Optional<String> host,
    Optional<Integer> port,
    String engine,
    Optional<String> databaseName,
    Map<String, String> tags) {
  public DbInstance {
    tags = Map.copyOf(tags);
  }

  public boolean available() {
    return "available".equals(status);
  }
}
