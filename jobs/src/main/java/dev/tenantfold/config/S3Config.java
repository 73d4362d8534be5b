package dev.tenantfold.config;

import java.net.URI;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * How the job reaches S3 through Hadoop S3A ({@code tenantfold.s3}): an optional S3-compatible
 * endpoint, the region, path-style access, and an optional access-key/secret-key pair. Without the
 * pair, S3A's default credentials chain (environment, instance or container role) applies. The
 * settings go onto a Hadoop {@link Configuration} with {@link #applyTo}, never into Spark's own
 * configuration, so the keys do not show in Spark's environment tab or event log (docs/s3.md).
 *
 * @param endpoint {@code s3.endpoint}: e.g. {@code http://127.0.0.1:9000}; empty for AWS
 * @param region {@code s3.region}: the signing region ({@code fs.s3a.endpoint.region})
 * @param pathStyleAccess {@code s3.path-style-access}: {@code http://host/bucket/key} instead of
 *     {@code http://bucket.host/key}; S3-compatible servers usually need it
 * @param accessKey {@code s3.access-key}, present exactly when {@code secretKey} is
 * @param secretKey {@code s3.secret-key}
 */
public record S3Config(
    Optional<String> endpoint,
    String region,
    boolean pathStyleAccess,
    Optional<String> accessKey,
    Optional<String> secretKey) {
  static final KeyBlock KEYS = new KeyBlock("tenantfold.s3");
  private static final ConfigKey<Optional<String>> ENDPOINT = KEYS.optionalString("endpoint");
  private static final ConfigKey<String> REGION =
      KEYS.requiredString("region", "set the S3 region, e.g. us-east-1");
  private static final ConfigKey<Boolean> PATH_STYLE_ACCESS = KEYS.bool("path-style-access");
  private static final ConfigKey<Optional<String>> ACCESS_KEY = KEYS.optionalString("access-key");
  private static final ConfigKey<Optional<String>> SECRET_KEY = KEYS.optionalString("secret-key");

  /** S3A's provider for fs.s3a.access.key / fs.s3a.secret.key. */
  static final String CENTRAL_ENDPOINT = "s3.amazonaws.com";

  static final String SIMPLE_CREDENTIALS = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider";

  public S3Config {
    if (accessKey.isPresent() != secretKey.isPresent()) {
      throw new IllegalArgumentException("access key and secret key come as a pair");
    }
  }

  /**
   * AWS defaults: no endpoint, us-east-1, virtual-host addressing, the default credentials chain.
   */
  public static S3Config defaults() {
    return new S3Config(Optional.empty(), "us-east-1", false, Optional.empty(), Optional.empty());
  }

  static S3Config from(ConfigReader block) {
    ConfigReader c = KEYS.checked(block);
    Optional<String> endpoint = c.get(ENDPOINT);
    if (endpoint.isPresent()) {
      String scheme = schemeOf(endpoint.get());
      if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
        throw new ConfigError(
            "Cannot use "
                + c.key(ENDPOINT)
                + " = '"
                + endpoint.get()
                + "': expected an http:// or https:// URL or a host name, e.g."
                + " http://127.0.0.1:9000");
      }
    }
    String region = c.get(REGION);
    Optional<String> accessKey = c.get(ACCESS_KEY);
    Optional<String> secretKey = c.get(SECRET_KEY);
    if (accessKey.isPresent() && secretKey.isEmpty()) {
      throw new ConfigError(
          "Missing config key "
              + c.key(SECRET_KEY)
              + ": "
              + c.key(ACCESS_KEY)
              + " is set, and S3 credentials come as a pair (set both, or neither for the default"
              + " AWS credentials chain)");
    }
    if (secretKey.isPresent() && accessKey.isEmpty()) {
      throw new ConfigError(
          "Missing config key "
              + c.key(ACCESS_KEY)
              + ": "
              + c.key(SECRET_KEY)
              + " is set, and S3 credentials come as a pair (set both, or neither for the default"
              + " AWS credentials chain)");
    }
    return new S3Config(endpoint, region, c.get(PATH_STYLE_ACCESS), accessKey, secretKey);
  }

  private static String schemeOf(String endpoint) {
    if (!endpoint.contains("://")) {
      return null;
    }
    try {
      String scheme = URI.create(endpoint).getScheme();
      return scheme == null ? "" : scheme.toLowerCase(java.util.Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /**
   * Sets the S3A options on {@code conf}: endpoint, region, path style, the credentials when given
   * (else the cluster's or S3A's own provider chain stays as it is), and {@code s3://} read as S3A.
   * Apply it before the first S3 access: Hadoop caches a FileSystem per bucket with the
   * configuration it was created with.
   */
  public void applyTo(Configuration conf) {
    if (endpoint.isPresent()) {
      conf.set("fs.s3a.endpoint", endpoint.get());
      // S3A honours a scheme in the endpoint; a bare host name follows this flag.
      conf.setBoolean("fs.s3a.connection.ssl.enabled", !"http".equals(schemeOf(endpoint.get())));
    } else if (conf.getTrimmed("fs.s3a.endpoint", "").isEmpty()) {
      // AWS (and no endpoint from the cluster's core-site.xml): with the central endpoint S3A 3.4
      // turns on the SDK's cross-region access, so a bucket
      // outside the configured region (an export in eu-west-1 while region = us-east-1) is still
      // found; with only a region set, such a bucket fails with a 301 redirect.
      conf.set("fs.s3a.endpoint", CENTRAL_ENDPOINT);
    }
    conf.set("fs.s3a.endpoint.region", region);
    conf.setBoolean("fs.s3a.path.style.access", pathStyleAccess);
    if (accessKey.isPresent()) {
      conf.set("fs.s3a.aws.credentials.provider", SIMPLE_CREDENTIALS);
      conf.set("fs.s3a.access.key", accessKey.get());
      conf.set("fs.s3a.secret.key", secretKey.get());
    }
    // RDS exports are named s3://...; read them with S3A (EMRFS is not on our classpath, nor
    // Hadoop's old s3 client).
    conf.set("fs.s3.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
    conf.set("fs.AbstractFileSystem.s3.impl", "org.apache.hadoop.fs.s3a.S3A");
  }

  @Override
  public String toString() {
    return "S3Config[endpoint="
        + endpoint.orElse("(AWS)")
        + ", region="
        + region
        + ", pathStyleAccess="
        + pathStyleAccess
        + ", credentials="
        + (accessKey.isPresent() ? "access-key ****" : "default chain")
        + "]";
  }
}
