package dev.tenantfold.job;

import dev.tenantfold.aws.DbInstance;
import dev.tenantfold.aws.RdsControlPlane;
import dev.tenantfold.aws.SdkRdsControlPlane;
import dev.tenantfold.config.TenantfoldConfig;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The {@code discover} command: lists every DB instance (all pages of DescribeDBInstances), keeps
 * the PostgreSQL ones carrying the {@code aws.discover.tag} tag, and prints a ready {@code tenants
 * = [...]} block with the tag's value as the tenant id and the instance's endpoint. Never a
 * password: the blocks name {@code aws.discover.user} and leave the credentials to fill in.
 */
public final class DiscoverJob {
  private final TenantfoldConfig config;
  private final Supplier<RdsControlPlane> planes;

  public DiscoverJob(TenantfoldConfig config) {
    this(config, () -> SdkRdsControlPlane.of(config.aws()));
  }

  DiscoverJob(TenantfoldConfig config, Supplier<RdsControlPlane> planes) {
    this.config = config;
    this.planes = planes;
  }

  /** The tagged instances, by tenant id; prints the block. */
  public List<DbInstance> execute(PrintStream out) {
    String tag = config.aws().discoverTag();
    List<DbInstance> found;
    try (RdsControlPlane rds = planes.get()) {
      found =
          rds.instances().stream()
              .filter(i -> i.tags().containsKey(tag) && !i.tags().get(tag).isBlank())
              .filter(i -> i.engine() != null && i.engine().contains("postgres"))
              .filter(i -> !i.tags().containsKey(RdsControlPlane.RUN_TAG))
              .sorted(Comparator.comparing((DbInstance i) -> i.tags().get(tag)))
              .toList();
    }
    out.printf(
        "# %d instances tagged %s (tenantfold discover). Add each tenant's credentials: a password"
            + " from the environment, password-secret or auth = iam%n",
        found.size(), tag);
    out.println("tenants = [");
    for (DbInstance i : found) {
      String id = i.tags().get(tag);
      String url =
          "jdbc:postgresql://"
              + i.host().orElse("<pending>")
              + ":"
              + i.port().orElse(5432)
              + "/"
              + i.databaseName().orElse(id);
      out.printf(
          "  { id = %s, instance = %s, jdbc { url = \"%s\"%s } }%n",
          quoted(id),
          i.id(),
          url,
          config.aws().discoverUser().map(u -> ", user = " + quoted(u)).orElse(""));
    }
    out.println("]");
    return found;
  }

  private static String quoted(String s) {
    return s.matches("[A-Za-z_][A-Za-z0-9_]*")
        ? s
        : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
