package dev.tenantfold.aws;

import dev.tenantfold.config.AwsConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * SDK clients for the job's AWS calls: region and endpoint from {@code tenantfold.aws}, credentials
 * from the SDK's default provider chain only, and the standard retry mode with more attempts than
 * the default, because a throttled control-plane call (many tenants restoring at once) should wait,
 * not fail a tenant.
 */
public final class AwsClients {
  /**
   * Attempts after the first for a throttled or failing control-plane call (standard mode: jittered
   * backoff).
   */
  static final int RETRIES = 8;

  private AwsClients() {}

  public static Region region(Optional<String> configured) {
    return configured
        .map(Region::of)
        .orElseGet(
            () -> {
              try {
                return new DefaultAwsRegionProviderChain().getRegion();
              } catch (RuntimeException e) {
                throw new IllegalStateException(
                    "Cannot find the AWS region: set "
                        + AwsConfig.REGION.path()
                        + " (or AWS_REGION)",
                    e);
              }
            });
  }

  static ClientOverrideConfiguration overrides() {
    return ClientOverrideConfiguration.builder()
        .retryPolicy(RetryPolicy.builder(RetryMode.STANDARD).numRetries(RETRIES).build())
        .apiCallAttemptTimeout(Duration.ofSeconds(30))
        .build();
  }

  public static RdsClient rds(AwsConfig aws) {
    var builder =
        RdsClient.builder()
            .region(region(aws.region()))
            .credentialsProvider(DefaultCredentialsProvider.create())
            .overrideConfiguration(overrides());
    aws.rdsEndpoint().ifPresent(e -> builder.endpointOverride(URI.create(e)));
    return builder.build();
  }

  public static SecretsManagerClient secretsManager(
      Optional<String> region, Optional<String> endpoint) {
    var builder =
        SecretsManagerClient.builder()
            .region(region(region))
            .credentialsProvider(DefaultCredentialsProvider.create())
            .overrideConfiguration(overrides());
    endpoint.ifPresent(e -> builder.endpointOverride(URI.create(e)));
    return builder.build();
  }
}
