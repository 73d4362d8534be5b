package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The {@code tenantfold.s3} block: parsing, its errors, what it sets on Hadoop, and that its keys
 * stay secret.
 */
class S3ConfigTest {
  private static final String SECRET = "s3-secret-value-9d1e";
  private static final String ACCESS = "AKIATESTACCESS42";

  private static TenantfoldConfig parse(String s3Block) {
    Config c =
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "jdbc:postgresql://warehouse:5432/wh", user = loader, password = "target-secret-1" }
              tenants = [ { id = acme, jdbc { url = "jdbc:postgresql://acme:5432/acme", user = reader, password = "tenant-secret-3" } } ]
              %s
            }
            """
                .formatted(s3Block));
    return TenantfoldConfig.fromConfig(c);
  }

  @Test
  void defaultsAreAwsWithTheDefaultCredentialsChain() {
    S3Config s3 = parse("").s3();
    assertThat(s3).as("no s3 block").isEqualTo(S3Config.defaults());
    Configuration conf = new Configuration(false);
    s3.applyTo(conf);
    assertThat(conf.get("fs.s3a.endpoint.region")).isEqualTo("us-east-1");
    assertThat(conf.get("fs.s3a.endpoint"))
        .as("central endpoint: cross-region access for buckets elsewhere")
        .isEqualTo("s3.amazonaws.com");
    assertThat(conf.get("fs.s3a.path.style.access")).isEqualTo("false");
    assertThat(conf.get("fs.s3a.aws.credentials.provider"))
        .as("credentials chain left to S3A / the cluster")
        .isNull();
    assertThat(conf.get("fs.s3a.access.key")).isNull();
    assertThat(conf.get("fs.s3.impl")).isEqualTo("org.apache.hadoop.fs.s3a.S3AFileSystem");

    Configuration cluster = new Configuration(false);
    cluster.set("fs.s3a.endpoint", "bucket.vpce-1a2b.s3.eu-west-1.vpce.amazonaws.com");
    s3.applyTo(cluster);
    assertThat(cluster.get("fs.s3a.endpoint"))
        .as("the cluster's own endpoint is kept")
        .startsWith("bucket.vpce");
  }

  @Test
  void appliesEndpointRegionPathStyleAndKeyPair() {
    TenantfoldConfig config =
        parse(
            """
            s3 { endpoint = "http://127.0.0.1:9000", region = eu-west-1, path-style-access = true, access-key = %s, secret-key = "%s" }
            """
                .formatted(ACCESS, SECRET));
    Configuration conf = new Configuration(false);
    config.s3().applyTo(conf);
    assertThat(conf.get("fs.s3a.endpoint")).isEqualTo("http://127.0.0.1:9000");
    assertThat(conf.get("fs.s3a.connection.ssl.enabled")).isEqualTo("false");
    assertThat(conf.get("fs.s3a.endpoint.region")).isEqualTo("eu-west-1");
    assertThat(conf.get("fs.s3a.path.style.access")).isEqualTo("true");
    assertThat(conf.get("fs.s3a.aws.credentials.provider"))
        .isEqualTo("org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    assertThat(conf.get("fs.s3a.access.key")).isEqualTo(ACCESS);
    assertThat(conf.get("fs.s3a.secret.key")).isEqualTo(SECRET);
  }

  @Test
  void keepsTheKeysOutOfTheEffectiveConfigAndToString() {
    TenantfoldConfig config =
        parse("s3 { access-key = %s, secret-key = \"%s\" }".formatted(ACCESS, SECRET));
    assertThat(config.renderMasked())
        .as("effective config print")
        .doesNotContain(SECRET)
        .doesNotContain(ACCESS)
        .contains("secret-key");
    assertThat(config.s3().toString()).doesNotContain(SECRET).doesNotContain(ACCESS);
    assertThat(config.secrets()).as("scrubbed from exception text").contains(SECRET, ACCESS);
  }

  @Test
  void absentEnvironmentSubstitutionsMeanNoKeys() {
    S3Config s3 =
        parse(
                "s3 { access-key = ${?TENANTFOLD_TEST_UNSET_ACCESS}, secret-key ="
                    + " ${?TENANTFOLD_TEST_UNSET_SECRET} }")
            .s3();
    assertThat(s3.accessKey()).isEmpty();
    assertThat(s3.secretKey()).isEmpty();
  }

  @Test
  void rejectsUnknownKeysAndHalfAKeyPairNamingTheKey() {
    assertThatThrownBy(() -> parse("s3 { end-point = \"http://x:9000\" }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.s3.end-point")
        .hasMessageContaining("path-style-access");
    assertThatThrownBy(() -> parse("s3 { access-key = " + ACCESS + " }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.s3.secret-key")
        .hasMessageNotContaining(ACCESS);
    assertThatThrownBy(() -> parse("s3 { secret-key = \"" + SECRET + "\" }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.s3.access-key")
        .hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> parse("s3 { endpoint = \"ftp://host\" }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.s3.endpoint");
    assertThatThrownBy(() -> parse("s3 { path-style-access = maybe }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.s3.path-style-access");
    assertThatThrownBy(() -> parse("s3 = \"s3a://bucket\""))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.s3");
  }

  @Test
  void setOverridesReachTheBlockAndHideASecretOnParseErrors() {
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            TenantfoldConfig.parseOverride("s3.endpoint=http://127.0.0.1:9000")
                .withFallback(parse("").raw().withOnlyPath("tenantfold")));
    assertThat(config.s3().endpoint()).isEqualTo(Optional.of("http://127.0.0.1:9000"));
    assertThatThrownBy(() -> TenantfoldConfig.parseOverride("s3.secret-key={" + SECRET))
        .isInstanceOf(ConfigError.class)
        .hasMessageNotContaining(SECRET);
    assertThat(S3Config.KEYS.keys()).hasSize(5);
  }
}
