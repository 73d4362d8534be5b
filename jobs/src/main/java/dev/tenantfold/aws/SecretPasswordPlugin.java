package dev.tenantfold.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantfold.config.JdbcAuth;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.plugin.AuthenticationPlugin;
import org.postgresql.plugin.AuthenticationRequestType;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * {@code jdbc.password-secret}: pgjdbc calls this plugin when a server asks a new connection for
 * its password, and it answers with the {@code password} key of the JSON secret (the shape
 * RDS-managed secrets have) read from Secrets Manager in the JVM that connects, driver or executor.
 * Only the secret's ARN travels with the job; the password stays in this JVM's memory, cached for
 * {@link #CACHE_FOR} so a table read in 32 partitions is one GetSecretValue per JVM, not 32, while
 * a rotated password is picked up within minutes.
 */
public final class SecretPasswordPlugin implements AuthenticationPlugin {
  static final Duration CACHE_FOR = Duration.ofMinutes(5);
  private static final Map<String, Cached> CACHE = new ConcurrentHashMap<>();
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Properties info;

  private record Cached(String password, long fetchedNanos) {
    @Override
    public String toString() {
      return "Cached[password=****]";
    }
  }

  public SecretPasswordPlugin(Properties info) {
    this.info = info;
  }

  @Override
  public char[] getPassword(AuthenticationRequestType type) throws PSQLException {
    String secretId = info.getProperty(JdbcAuth.SECRET_PROPERTY);
    Optional<String> region = Optional.ofNullable(info.getProperty(JdbcAuth.REGION_PROPERTY));
    Optional<String> endpoint =
        Optional.ofNullable(info.getProperty(JdbcAuth.SECRETS_ENDPOINT_PROPERTY));
    String key = secretId + "|" + region.orElse("") + "|" + endpoint.orElse("");
    Cached cached = CACHE.get(key);
    if (cached == null || System.nanoTime() - cached.fetchedNanos() > CACHE_FOR.toNanos()) {
      cached = new Cached(fetch(secretId, region, endpoint), System.nanoTime());
      CACHE.put(key, cached);
    }
    return cached.password().toCharArray();
  }

  /**
   * Forgets cached passwords (tests; a rotated secret is otherwise re-read after {@link
   * #CACHE_FOR}).
   */
  public static void clearCache() {
    CACHE.clear();
  }

  private static String fetch(String secretId, Optional<String> region, Optional<String> endpoint)
      throws PSQLException {
    String text;
    try (SecretsManagerClient client = AwsClients.secretsManager(region, endpoint)) {
      text = client.getSecretValue(b -> b.secretId(secretId)).secretString();
    } catch (SdkException | IllegalStateException e) {
      throw new PSQLException(
          "Cannot read the password from secret "
              + secretId
              + " (jdbc.password-secret): "
              + e.getMessage()
              + "; the job's role needs secretsmanager:GetSecretValue on it (and kms:Decrypt on its"
              + " key)",
          PSQLState.CONNECTION_REJECTED,
          e);
    }
    JsonNode password = null;
    try {
      JsonNode node = text == null ? null : JSON.readTree(text);
      password = node != null && node.isObject() ? node.get("password") : null;
    } catch (java.io.IOException e) {
      // Not JSON: the message below, without the text (it may be the password itself).
    }
    if (password == null || !password.isTextual()) {
      throw new PSQLException(
          "Cannot read the password from secret "
              + secretId
              + " (jdbc.password-secret): expected a JSON secret with a"
              + " \"password\" key, as RDS-managed secrets have",
          PSQLState.CONNECTION_REJECTED);
    }
    return password.asText();
  }
}
