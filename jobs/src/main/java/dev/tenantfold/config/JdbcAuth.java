package dev.tenantfold.config;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How a {@code jdbc} block (a tenant's, the target's) authenticates and checks the server, as
 * pgjdbc connection properties: {@code auth = iam} (an RDS IAM token minted for every new
 * connection), {@code password-secret} (the password read from Secrets Manager when a connection
 * opens), and TLS ({@code ssl-mode}, {@code ssl-root-cert}).
 *
 * <p>Tokens and secrets are produced inside the driver by pgjdbc authentication plugins ({@code
 * authenticationPluginClassName}) that pgjdbc calls each time a server asks for a password, in
 * whichever JVM opens the connection (driver or executor). The connection properties carry only the
 * secret's ARN, the region and endpoints: no password ever passes through Spark's configuration,
 * plans or event logs.
 */
public final class JdbcAuth {
  /**
   * The credential, auth and TLS keys every connection block (the target, a tenant's {@code jdbc},
   * an export's {@code catalog}) holds besides its {@code url}, declared in that block by {@link
   * #declare}.
   */
  record Keys(
      ConfigKey<Optional<String>> user,
      ConfigKey<Optional<String>> password,
      ConfigKey<String> auth,
      ConfigKey<Optional<String>> passwordSecret,
      ConfigKey<Optional<String>> sslMode,
      ConfigKey<Optional<String>> sslRootCert) {}

  /** Declares the connection keys in {@code block}. */
  static Keys declare(KeyBlock block) {
    return new Keys(
        block.key("user", (c, n) -> Optional.ofNullable(c.optionalString(n, null))),
        block.key("password", (c, n) -> Optional.ofNullable(c.optionalString(n, null))),
        block.key("auth", (c, n) -> c.optionalString(n, "password").trim()),
        block.optionalString("password-secret"),
        block.optionalString("ssl-mode"),
        block.optionalString("ssl-root-cert"));
  }

  /** pgjdbc's property naming the plugin that supplies the password. */
  public static final String PLUGIN_PROPERTY = "authenticationPluginClassName";

  /** The plugins, by name: config does not depend on the aws package (which depends on config). */
  public static final String IAM_PLUGIN = "dev.tenantfold.aws.RdsIamAuthPlugin";

  public static final String SECRET_PLUGIN = "dev.tenantfold.aws.SecretPasswordPlugin";

  /**
   * pgjdbc's socket factory property, and the factory that tells the IAM plugin which host is being
   * connected to.
   */
  public static final String SOCKET_FACTORY_PROPERTY = "socketFactory";

  public static final String IAM_SOCKET_FACTORY = "dev.tenantfold.aws.ConnectingHost";

  /** Connection properties the plugins read; pgjdbc passes unknown properties through to them. */
  public static final String REGION_PROPERTY = "tenantfoldAwsRegion";

  public static final String SECRET_PROPERTY = "tenantfoldPasswordSecret";
  public static final String SECRETS_ENDPOINT_PROPERTY = "tenantfoldSecretsManagerEndpoint";
  private static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  private JdbcAuth() {}

  /**
   * The driver properties of {@code jdbc}'s auth and TLS keys ({@code keys}, declared in its
   * block); fails on combinations that cannot work (a password with IAM auth, a password and a
   * secret, a missing root certificate file).
   */
  static Map<String, String> properties(ConfigReader jdbc, Keys keys, AwsConfig aws, String whose) {
    Map<String, String> props = new LinkedHashMap<>();
    String auth = jdbc.get(keys.auth());
    Optional<String> secret = jdbc.get(keys.passwordSecret());
    boolean password = jdbc.get(keys.password()).filter(p -> !p.isEmpty()).isPresent();
    switch (auth) {
      case "password" -> {
        if (secret.isPresent()) {
          if (password) {
            throw new ConfigError(
                "Cannot use both "
                    + jdbc.key(keys.password())
                    + " and "
                    + jdbc.key(keys.passwordSecret())
                    + " ("
                    + whose
                    + "): keep one, the secret for a password Secrets Manager holds");
          }
          props.put(PLUGIN_PROPERTY, SECRET_PLUGIN);
          props.put(SECRET_PROPERTY, secret.get());
          aws.secretsManagerEndpoint().ifPresent(e -> props.put(SECRETS_ENDPOINT_PROPERTY, e));
          aws.region()
              .or(() -> regionOfArn(secret.get()))
              .ifPresent(r -> props.put(REGION_PROPERTY, r));
        }
      }
      case "iam" -> {
        if (password || secret.isPresent()) {
          throw new ConfigError(
              "Cannot use "
                  + jdbc.key(password ? keys.password() : keys.passwordSecret())
                  + " with "
                  + jdbc.key(keys.auth())
                  + " = iam ("
                  + whose
                  + "): IAM database authentication mints a token per connection; remove the"
                  + " password");
        }
        if (jdbc.optionalString("user", null) == null) {
          throw new ConfigError(
              "Missing config key "
                  + jdbc.key("user")
                  + ": "
                  + jdbc.key(keys.auth())
                  + " = iam needs the database user granted rds_iam ("
                  + whose
                  + ")");
        }
        props.put(PLUGIN_PROPERTY, IAM_PLUGIN);
        // Tells the plugin which of the URL's hosts it signs for.
        props.put(SOCKET_FACTORY_PROPERTY, IAM_SOCKET_FACTORY);
        aws.region().ifPresent(r -> props.put(REGION_PROPERTY, r));
      }
      default ->
          throw new ConfigError(
              "Cannot use "
                  + jdbc.key(keys.auth())
                  + " = '"
                  + auth
                  + "': expected password (the default) or iam");
    }
    Optional<String> rootCert = jdbc.get(keys.sslRootCert());
    Optional<String> mode = jdbc.get(keys.sslMode());
    if (mode.isPresent() && !SSL_MODES.contains(mode.get())) {
      throw new ConfigError(
          "Cannot use "
              + jdbc.key(keys.sslMode())
              + " = '"
              + mode.get()
              + "': expected one of disable, allow, prefer, require, verify-ca, verify-full");
    }
    if (rootCert.isPresent()) {
      if (!new File(rootCert.get()).isFile()) {
        throw new ConfigError(
            "Cannot read "
                + jdbc.key(keys.sslRootCert())
                + " = '"
                + rootCert.get()
                + "' ("
                + whose
                + "): no such file; download the RDS CA bundle (global-bundle.pem) to that path on"
                + " every node");
      }
      props.put("sslrootcert", rootCert.get());
    }
    String sslMode = mode.orElse(rootCert.isPresent() ? "verify-full" : null);
    if (sslMode != null) {
      if ((sslMode.equals("verify-full") || sslMode.equals("verify-ca")) && rootCert.isEmpty()) {
        throw new ConfigError(
            "Missing config key "
                + jdbc.key(keys.sslRootCert())
                + ": "
                + jdbc.key(keys.sslMode())
                + " = "
                + sslMode
                + " checks the server's certificate against a CA ("
                + whose
                + "); set it to the RDS CA bundle, e.g. /etc/ssl/rds/global-bundle.pem");
      }
      props.put("sslmode", sslMode);
    }
    return props;
  }

  /** The region of a Secrets Manager ARN ({@code arn:aws:secretsmanager:eu-west-1:...}). */
  static Optional<String> regionOfArn(String arn) {
    String[] parts = arn.split(":");
    return parts.length > 4 && parts[0].equals("arn") && !parts[3].isEmpty()
        ? Optional.of(parts[3])
        : Optional.empty();
  }
}
