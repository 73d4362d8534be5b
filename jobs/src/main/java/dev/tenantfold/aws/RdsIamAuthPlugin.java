package dev.tenantfold.aws;

import dev.tenantfold.config.JdbcAuth;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.plugin.AuthenticationPlugin;
import org.postgresql.plugin.AuthenticationRequestType;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsUtilities;

/**
 * {@code jdbc.auth = iam}: pgjdbc calls this plugin each time a server asks a new connection for
 * its password, in the JVM that opens it (driver or executor), and it answers with a fresh RDS IAM
 * authentication token for the connection's host, port and user: with several hosts in the URL, the
 * one pgjdbc is connecting to ({@link ConnectingHost}). Tokens live 15 minutes; minting one per
 * connection is what lets a run of hours keep connecting. Signing is local (no AWS call);
 * credentials come from the SDK's default chain (the EMR instance role on a cluster).
 *
 * <p>Chosen over the AWS Advanced JDBC Wrapper: pgjdbc's own plugin hook needs no second driver,
 * URL scheme or dependency tree, and every connection of the job already goes through pgjdbc.
 */
public final class RdsIamAuthPlugin implements AuthenticationPlugin {
  private static final Map<Region, RdsUtilities> UTILITIES = new ConcurrentHashMap<>();
  private final Properties info;

  /** pgjdbc passes the connection's properties: PGHOST, PGPORT, user and ours (region). */
  public RdsIamAuthPlugin(Properties info) {
    this.info = info;
  }

  @Override
  public char[] getPassword(AuthenticationRequestType type) throws PSQLException {
    // The host pgjdbc is connecting to (one of several when the URL lists several); the URL's first
    // when unknown.
    Optional<InetSocketAddress> connecting = ConnectingHost.current();
    String host =
        connecting
            .map(InetSocketAddress::getHostString)
            .orElseGet(() -> first(info.getProperty("PGHOST", "localhost")));
    int port =
        connecting
            .map(InetSocketAddress::getPort)
            .orElseGet(() -> Integer.parseInt(first(info.getProperty("PGPORT", "5432"))));
    String user = info.getProperty("user");
    try {
      return token(
              host, port, user, Optional.ofNullable(info.getProperty(JdbcAuth.REGION_PROPERTY)))
          .toCharArray();
    } catch (RuntimeException e) {
      throw new PSQLException(
          "Cannot mint an IAM database token for user "
              + user
              + " at "
              + host
              + ":"
              + port
              + " (jdbc.auth = iam): "
              + e.getMessage(),
          PSQLState.CONNECTION_REJECTED,
          e);
    }
  }

  /**
   * A token for {@code user} at {@code host:port}, signed now with the default chain's credentials.
   */
  public static String token(String host, int port, String user, Optional<String> region) {
    Region r = AwsClients.region(region);
    RdsUtilities utilities =
        UTILITIES.computeIfAbsent(
            r,
            k ->
                RdsUtilities.builder()
                    .region(k)
                    .credentialsProvider(DefaultCredentialsProvider.create())
                    .build());
    return utilities.generateAuthenticationToken(b -> b.hostname(host).port(port).username(user));
  }

  /**
   * The first of a multi-host list (when the connecting host is not known: another socket factory).
   */
  private static String first(String list) {
    int comma = list.indexOf(',');
    return comma < 0 ? list : list.substring(0, comma);
  }
}
