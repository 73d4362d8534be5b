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

  /**
   * One message per source that more than one tenant reads, naming the tenants and the source;
   * {@code sources} maps each tenant id to its source ({@link #databaseOf} of its URL, or its
   * export's path and database).
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
