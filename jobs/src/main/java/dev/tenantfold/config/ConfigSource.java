package dev.tenantfold.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import dev.tenantfold.jdbc.Redaction;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where the {@code --config} file comes from: a local path, or an {@code s3://} / {@code s3a://}
 * URI read through Hadoop's FileSystem, so an EMR step needs no file on the node that runs the
 * driver.
 *
 * <p>The S3 settings that read the file cannot come from the file itself. They are, in order: the
 * cluster's Hadoop configuration ({@code core-site.xml} on the classpath, which on EMR makes {@code
 * s3://} EMRFS with the instance role) and {@code spark.hadoop.*} properties given to spark-submit;
 * then, when any {@code --set s3.*} override is given, the job's own {@code s3} settings layered
 * from {@code reference.conf} and those overrides (environment substitutions such as {@code
 * ${?S3_ACCESS_KEY}} resolved), applied exactly as the job applies them to its Spark session.
 * {@code s3://} is read as S3A wherever the cluster maps it to nothing else.
 */
public final class ConfigSource {
  private static final Set<String> REMOTE_SCHEMES = Set.of("s3", "s3a");

  private ConfigSource() {}

  /** True when {@code location} names an object store URI rather than a local file. */
  public static boolean isRemote(String location) {
    String scheme = scheme(location);
    return scheme != null && REMOTE_SCHEMES.contains(scheme);
  }

  /**
   * Parses the HOCON file at {@code location} (unresolved: substitutions resolve after layering).
   * Local paths keep the messages users know; URIs fail with {@code Cannot read config file URI:
   * reason}.
   */
  public static Config parse(String location, List<String> overrides) {
    String scheme = scheme(location);
    if (scheme == null || scheme.equals("file")) {
      File file = scheme == null ? new File(location) : new File(URI.create(location));
      if (!file.isFile()) {
        throw new ConfigError(
            "Cannot read config file "
                + location
                + ": no such file (pass --config FILE or an s3:// URI)");
      }
      try {
        return ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new ConfigError("Cannot parse config file " + location + ": " + e.getMessage(), e);
      }
    }
    if (!REMOTE_SCHEMES.contains(scheme)) {
      throw new ConfigError(
          "Cannot read config file "
              + location
              + ": unsupported scheme '"
              + scheme
              + "' (use a local path, s3:// or s3a://)");
    }
    String text = read(location, hadoopConfiguration(overrides));
    try {
      return ConfigFactory.parseString(
          text, ConfigParseOptions.defaults().setOriginDescription(location));
    } catch (ConfigException e) {
      throw new ConfigError("Cannot parse config file " + location + ": " + e.getMessage(), e);
    }
  }

  private static String read(String location, Configuration conf) {
    Path path = new Path(location);
    // A private FileSystem instance, closed here: the cached one per bucket must be created later
    // by the job
    // with its full S3 settings, not by this early read.
    try (FileSystem fs = FileSystem.newInstance(path.toUri(), conf);
        InputStream in = fs.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      throw new ConfigError(
          "Cannot read config file " + location + ": no such object (check the bucket and key)", e);
    } catch (IOException | RuntimeException e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new ConfigError(
          "Cannot read config file "
              + location
              + ": "
              + Redaction.redactText(reason, secrets(conf))
              + " (the s3 settings that read it come from the cluster's Hadoop configuration or"
              + " --set s3.*)",
          e);
    }
  }

  /**
   * The Hadoop configuration that reads the file: the classpath's {@code core-site.xml}, the {@code
   * spark.hadoop.*} system properties spark-submit sets, and the job's {@code s3} settings when
   * {@code --set s3.*} names any.
   */
  static Configuration hadoopConfiguration(List<String> overrides) {
    Configuration conf = new Configuration();
    for (Map.Entry<Object, Object> p : System.getProperties().entrySet()) {
      String key = String.valueOf(p.getKey());
      if (key.startsWith("spark.hadoop.")) {
        conf.set(key.substring("spark.hadoop.".length()), String.valueOf(p.getValue()));
      }
    }
    if (overrides.stream().anyMatch(ConfigSource::setsS3)) {
      s3Settings(overrides).applyTo(conf);
    } else if (conf.get("fs.s3.impl") == null) {
      conf.set("fs.s3.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
    }
    return conf;
  }

  /**
   * The {@code tenantfold.s3} block from reference.conf and the overrides alone, resolved against
   * the environment.
   */
  static S3Config s3Settings(List<String> overrides) {
    Config layered = ConfigFactory.empty();
    for (String override : overrides) {
      layered = TenantfoldConfig.parseOverride(override).withFallback(layered);
    }
    Config resolved;
    try {
      resolved =
          layered
              .withFallback(ConfigFactory.defaultReference())
              .resolve(ConfigResolveOptions.defaults());
    } catch (ConfigException e) {
      throw new ConfigError(
          "Cannot resolve the s3 settings that read the config file: " + e.getMessage(), e);
    }
    String path = TenantfoldConfig.ROOT + ".s3";
    return S3Config.from(new ConfigReader(resolved.getConfig(path), path));
  }

  private static boolean setsS3(String override) {
    int eq = override.indexOf('=');
    String key = (eq < 0 ? override : override.substring(0, eq)).trim();
    return key.startsWith("s3.")
        || key.startsWith(TenantfoldConfig.ROOT + ".s3.")
        || key.equals("s3")
        || key.equals(TenantfoldConfig.ROOT + ".s3");
  }

  private static List<String> secrets(Configuration conf) {
    return java.util.stream.Stream.of(
            conf.get("fs.s3a.access.key"),
            conf.get("fs.s3a.secret.key"),
            conf.get("fs.s3a.session.token"))
        .filter(s -> s != null && !s.isEmpty())
        .toList();
  }

  /**
   * The lower-case URI scheme of {@code location}, or null for a plain path (also a Windows drive
   * letter).
   */
  private static String scheme(String location) {
    int colon = location.indexOf(':');
    if (colon < 2
        || !location.startsWith("//", colon + 1)
            && !location.regionMatches(true, 0, "file:", 0, 5)) {
      return null;
    }
    try {
      String scheme = new URI(location).getScheme();
      return scheme == null ? null : scheme.toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return location.substring(0, colon).toLowerCase(Locale.ROOT);
    }
  }
}
