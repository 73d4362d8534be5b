package dev.tenantfold.testing;

import dev.tenantfold.config.S3Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One real S3 server per test JVM: s3proxy (Maven Central {@code org.gaul:s3proxy}, copied to
 * {@code target/s3proxy/s3proxy.jar} by the build) in a child JVM on 127.0.0.1 and a free port,
 * storing objects in a temporary folder (jclouds filesystem backend), checking AWS v2/v4 signatures
 * against {@link #ACCESS_KEY}/{@link #SECRET_KEY}. Started on first use, stopped at JVM exit, like
 * {@link TestPostgres}. It runs in its own JVM because its jar bundles its own Jetty, Guava and
 * Jackson, which would clash with Spark's on the test classpath.
 */
public final class S3Server {
  public static final String ACCESS_KEY = "tenantfold-test-access";
  public static final String SECRET_KEY = "tenantfold-test-secret-7f3a9c";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static S3Server instance;

  private final String endpoint;
  private final Path baseDir;
  private final Process process;
  private final Path log;
  private final S3Client client;

  private S3Server(String endpoint, Path baseDir, Process process, Path log) {
    this.endpoint = endpoint;
    this.baseDir = baseDir;
    this.process = process;
    this.log = log;
    this.client =
        S3Client.builder()
            .endpointOverride(URI.create(endpoint))
            .region(Region.US_EAST_1)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
            .build();
  }

  /** The shared server, started on first call (about 2 s). */
  public static synchronized S3Server get() {
    if (instance == null) {
      instance = start();
      S3Server started = instance;
      Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "s3proxy-stop"));
    }
    return instance;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String endpoint() {
    return endpoint;
  }

  /** The settings a job uses to reach this server: endpoint, path style, the test key pair. */
  public S3Config config() {
    return new S3Config(
        Optional.of(endpoint), "us-east-1", true, Optional.of(ACCESS_KEY), Optional.of(SECRET_KEY));
  }

  /**
   * Applies {@link #config()} to a Hadoop configuration, e.g. {@code
   * spark.sparkContext().hadoopConfiguration()}.
   */
  public void applyTo(Configuration conf) {
    config().applyTo(conf);
  }

  /** An AWS SDK v2 client for this server (path style, the test key pair). Do not close it. */
  public S3Client client() {
    return client;
  }

  /** Creates {@code bucket} if it does not exist yet; returns its name. */
  public String createBucket(String bucket) {
    try {
      client.createBucket(b -> b.bucket(bucket));
    } catch (BucketAlreadyOwnedByYouException e) {
      // Idempotent: test classes share the server.
    }
    return bucket;
  }

  /**
   * Uploads every regular file under {@code dir} as {@code prefix/<relative path>}; returns the
   * keys, sorted.
   */
  public List<String> putDirectory(Path dir, String bucket, String prefix) {
    String root = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    List<String> keys = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        String key =
            root + dir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
        keys.add(key);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot upload " + dir + " to s3://" + bucket + "/" + root, e);
    }
    return keys;
  }

  /** Uploads one object with the given UTF-8 text. */
  public void putString(String bucket, String key, String text) {
    client.putObject(
        b -> b.bucket(bucket).key(key), RequestBody.fromString(text, StandardCharsets.UTF_8));
  }

  /** Every key under {@code prefix} (all pages), sorted. */
  public List<String> listKeys(String bucket, String prefix) {
    return client
        .listObjectsV2Paginator(
            ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
        .contents()
        .stream()
        .map(S3Object::key)
        .sorted()
        .toList();
  }

  /** The object's content as UTF-8 text. */
  public String readString(String bucket, String key) {
    return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
  }

  /** The server's own log (stdout and stderr of the child JVM), for failure messages. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private static S3Server start() {
    Path jar = s3proxyJar();
    try {
      Path baseDir = Files.createTempDirectory("tenantfold-s3proxy-data");
      Path log = Files.createTempFile("tenantfold-s3proxy", ".log");
      int port = freePort();
      String endpoint = "http://127.0.0.1:" + port;
      Path properties = Files.createTempFile("tenantfold-s3proxy", ".properties");
      Files.writeString(
          properties,
          String.join(
              "\n",
              "s3proxy.endpoint=" + endpoint,
              "s3proxy.authorization=aws-v2-or-v4",
              "s3proxy.identity=" + ACCESS_KEY,
              "s3proxy.credential=" + SECRET_KEY,
              "jclouds.provider=filesystem",
              "jclouds.filesystem.basedir=" + baseDir,
              ""));
      List<String> command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx256m",
              "-XX:TieredStopAtLevel=1",
              "-jar",
              jar.toString(),
              "--properties",
              properties.toString());
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      S3Server server = new S3Server(endpoint, baseDir, process, log);
      server.awaitReady();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start s3proxy from " + jar, e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "s3proxy exited with "
                + process.exitValue()
                + " before answering on "
                + endpoint
                + ":\n"
                + log());
      }
      try {
        HttpURLConnection conn =
            (HttpURLConnection) new URI(endpoint + "/").toURL().openConnection();
        conn.setConnectTimeout(500);
        conn.setReadTimeout(2000);
        // Any HTTP answer (403 for an unsigned request) means it serves S3.
        if (conn.getResponseCode() > 0) {
          conn.disconnect();
          return;
        }
      } catch (IOException | URISyntaxException e) {
        // Not listening yet.
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for s3proxy", e);
      }
    }
    stop();
    throw new IllegalStateException(
        "s3proxy did not answer on "
            + endpoint
            + " within "
            + START_TIMEOUT.toSeconds()
            + " s:\n"
            + log());
  }

  private void stop() {
    client.close();
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> paths = Files.walk(baseDir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // JVM is exiting.
    }
  }

  /**
   * {@code jobs/target/s3proxy/s3proxy.jar}, next to {@code target/test-classes}; or {@code
   * -Dtenantfold.s3proxy.jar}.
   */
  private static Path s3proxyJar() {
    String override = System.getProperty("tenantfold.s3proxy.jar");
    if (override != null) {
      return Path.of(override);
    }
    try {
      Path testClasses =
          Path.of(S3Server.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path jar = testClasses.resolveSibling("s3proxy").resolve("s3proxy.jar");
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            "Cannot find "
                + jar
                + ": run the tests through Maven (the generate-test-resources phase copies it)");
      }
      return jar;
    } catch (URISyntaxException e) {
      throw new IllegalStateException("Cannot locate the test classes folder", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
