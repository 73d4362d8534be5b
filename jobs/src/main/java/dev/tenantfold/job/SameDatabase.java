package dev.tenantfold.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two tenants reading one database (same host, port and database; or the same export and database)
 * would publish one database as two tenants: a plan error unless {@code
 * publish.allow-same-database} says it is meant. Pure: the caller supplies each tenant's source.
 */
final class SameDatabase {
  private SameDatabase() {}

  /**
   * One message per source that more than one tenant reads, naming the tenants and the source;
   * {@code sources} maps each tenant id to its source ({@link
   * dev.tenantfold.config.SourceSpec#identity}).
   */
  static List<String> conflicts(Map<String, String> sources) {
    Map<String, List<String>> bySource = new LinkedHashMap<>();
    sources.forEach(
        (tenant, source) -> bySource.computeIfAbsent(source, s -> new ArrayList<>()).add(tenant));
    List<String> out = new ArrayList<>();
    bySource.forEach(
        (source, tenants) -> {
          if (tenants.size() > 1) {
            out.add(
                "tenants "
                    + tenants
                    + " all read "
                    + source
                    + ": one database would be published as "
                    + tenants.size()
                    + " tenants");
          }
        });
    return out;
  }

  /**
   * Column names that another name of {@code names} equals but for case ({@code [Name, name]}), in
   * order; empty when every name differs by more than case.
   */
  static List<String> caseCollisions(List<String> names) {
    Map<String, List<String>> byLower = new LinkedHashMap<>();
    names.forEach(
        n -> byLower.computeIfAbsent(n.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(n));
    List<String> out = new ArrayList<>();
    byLower.values().stream().filter(l -> l.size() > 1).forEach(out::addAll);
    return out;
  }
}
