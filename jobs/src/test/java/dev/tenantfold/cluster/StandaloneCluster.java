package dev.tenantfold.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantfold.testing.S3Server;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback for the tests of the packaged jar: one {@code
 * org.apache.spark.deploy.master.Master} and one {@code ...worker.Worker}, each a JVM of its own,
 * started from the build's Spark jars (no download). The jars are linked into a throw-away {@code
 * SPARK_HOME/jars}, the layout of a Spark distribution, because the worker builds the command lines
 * of executors and cluster-mode drivers from {@code SPARK_HOME}. That folder holds Spark, Hadoop
 * and hadoop-aws with the AWS SDK (what EMR provides) and nothing of ours: pgjdbc, Typesafe Config
 * and the job come only from the {@code -spark.jar}, as on a real cluster.
 *
 * <p>The worker offers 2 cores and 1.5 GB: one executor (1 core, 512 MB) plus, in cluster deploy
 * mode, the driver (1 core, 512 MB). One cluster per test JVM, started on first use, stopped at
 * exit.
 */
public final class StandaloneCluster {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern DRIVER_ID =
      Pattern.compile("Driver successfully submitted as (driver-[0-9-]+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Test-only and our own artifacts: never on the cluster's classpath. */
  private static final List<String> NOT_ON_CLUSTER =
      List.of(
          "/org/junit/",
          "/org/opentest4j/",
          "/org/apiguardian/",
          "/org/assertj/",
          "/net/bytebuddy/",
          "/io/zonky/",
          "/org/postgresql/",
          "/com/typesafe/config/",
          "/org/apache/maven/",
          "/org/checkerframework/",
          "/org/tukaani/",
          "/org/apache/commons/commons-compress/");

  /**
   * The cluster's own defaults, as EMR keeps them in its spark-defaults.conf, so that a submission
   * carries only what an EMR step carries: executor and driver sizes that fit the worker, C1-only
   * JIT and the serial GC for short-lived test JVMs on 2 cores, and spark-submit waiting for a
   * cluster-mode driver to end.
   */
  private static final String SPARK_DEFAULTS =
      """
      spark.executor.memory 512m
      spark.executor.cores 1
      spark.cores.max 1
      spark.driver.memory 512m
      spark.driver.cores 1
      spark.executor.extraJavaOptions -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
      spark.driver.extraJavaOptions -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
      spark.standalone.submit.waitAppCompletion true
      spark.ui.enabled false
      spark.ui.showConsoleProgress false
      """;

  private static StandaloneCluster instance;

  private final Path home;
  private final Path workDir;
  private final Path logs;
  private final Map<String, String> env;
  private final int masterPort;
  private final int masterUiPort;
  private final List<Process> daemons = new ArrayList<>();

  private StandaloneCluster(Path home, Map<String, String> env, int masterPort, int masterUiPort) {
    this.home = home;
    this.workDir = home.resolve("work");
    this.logs = home.resolve("logs");
    this.env = Map.copyOf(env);
    this.masterPort = masterPort;
    this.masterUiPort = masterUiPort;
  }

  /** The shared cluster, started on first call (about 10 s). */
  public static synchronized StandaloneCluster get() {
    if (instance == null) {
      instance = start();
      StandaloneCluster started = instance;
      Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "spark-standalone-stop"));
    }
    return instance;
  }

  /** {@code spark://127.0.0.1:PORT}. */
  public String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /**
   * The worker's work dir: {@code app-*}/N/stderr of executors, {@code driver-*}/stderr of
   * cluster-mode drivers.
   */
  public Path workDir() {
    return workDir;
  }

  /** Master and worker logs. */
  public Path logDir() {
    return logs;
  }

  /**
   * The Hadoop configuration folder every cluster JVM has on its classpath ({@code core-site.xml}),
   * like EMR's /etc/hadoop/conf.
   */
  public Path hadoopConfDir() {
    return home.resolve("hadoop-conf");
  }

  /**
   * Runs {@code org.apache.spark.deploy.SparkSubmit} with {@code args} in a JVM of its own (what
   * the {@code spark-submit} script runs, with the same Java 17 flags its launcher adds) and waits
   * for it.
   */
  public Submission submit(List<String> args, Map<String, String> extraEnv, Duration timeout) {
    List<String> command = new ArrayList<>(javaCommand("512m"));
    command.add("org.apache.spark.deploy.SparkSubmit");
    command.addAll(args);
    try {
      Path out = Files.createTempFile(logs, "spark-submit", ".log");
      ProcessBuilder pb =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().putAll(env);
      pb.environment().putAll(extraEnv);
      Process process = pb.start();
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new AssertionError(
            "spark-submit did not end within "
                + timeout.toSeconds()
                + " s:\n"
                + Files.readString(out));
      }
      String output = Files.readString(out);
      Matcher m = DRIVER_ID.matcher(output);
      return new Submission(
          process.exitValue(), output, m.find() ? Optional.of(m.group(1)) : Optional.empty());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run spark-submit", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The master's view of a cluster-mode driver: FINISHED, FAILED, ERROR, KILLED, RUNNING, ... (its
   * {@code /json/} endpoint).
   */
  public String driverState(String driverId) {
    JsonNode state = masterState();
    for (String list : List.of("completeddrivers", "activedrivers")) {
      for (JsonNode driver : state.path(list)) {
        if (driverId.equals(driver.path("id").asText())) {
          return driver.path("state").asText();
        }
      }
    }
    throw new AssertionError("The master does not know " + driverId + ": " + state);
  }

  /** The driver's stdout and stderr in the worker's work dir. */
  public String driverLog(String driverId) {
    Path dir = workDir.resolve(driverId);
    try {
      return "stdout:\n"
          + Files.readString(dir.resolve("stdout"))
          + "\nstderr:\n"
          + Files.readString(dir.resolve("stderr"));
    } catch (IOException e) {
      return "(cannot read the log of " + driverId + " in " + dir + ": " + e + ")";
    }
  }

  /**
   * Every regular file under the work dir (driver and executor logs, fetched jars) and the daemon
   * logs.
   */
  public List<Path> allLogFiles() {
    List<Path> files = new ArrayList<>();
    for (Path root : List.of(workDir, logs)) {
      try (Stream<Path> walk = Files.walk(root)) {
        walk.filter(Files::isRegularFile)
            .filter(p -> !p.toString().endsWith(".jar"))
            .forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return files;
  }

  /**
   * Folders {@code app-*} of the worker's work dir: each holds one folder per executor JVM it ran.
   */
  public List<Path> applicationDirs() {
    try (Stream<Path> list = Files.list(workDir)) {
      return list.filter(p -> p.getFileName().toString().startsWith("app-")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode masterState() {
    try {
      HttpURLConnection conn =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + masterUiPort + "/json/").toURL().openConnection();
      conn.setConnectTimeout(2000);
      conn.setReadTimeout(5000);
      try (var in = conn.getInputStream()) {
        return JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } finally {
        conn.disconnect();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the master's state on port " + masterUiPort, e);
    }
  }

  private static StandaloneCluster start() {
    try {
      Path home = Files.createTempDirectory("tenantfold-spark-home");
      Path jars = Files.createDirectories(home.resolve("jars"));
      linkSparkJars(jars);
      Files.createDirectories(home.resolve("conf"));
      Files.createDirectories(home.resolve("hadoop-conf"));
      Files.createDirectories(home.resolve("work"));
      Files.createDirectories(home.resolve("logs"));
      S3Server s3 = S3Server.get();
      Files.writeString(home.resolve("conf").resolve("spark-defaults.conf"), SPARK_DEFAULTS);
      Files.writeString(home.resolve("hadoop-conf").resolve("core-site.xml"), coreSite(s3));
      Map<String, String> env = new LinkedHashMap<>();
      env.put("SPARK_HOME", home.toString());
      env.put("SPARK_CONF_DIR", home.resolve("conf").toString());
      env.put("HADOOP_CONF_DIR", home.resolve("hadoop-conf").toString());
      env.put("SPARK_SCALA_VERSION", "2.13");
      env.put("SPARK_LOCAL_IP", "127.0.0.1");
      env.put("SPARK_LOCAL_HOSTNAME", "127.0.0.1");
      // What an EMR instance profile gives every JVM on the cluster (spark-submit, drivers,
      // executors): AWS credentials from the environment, never from the job's arguments. The
      // fake pair is S3Server's, so S3 and the Secrets Manager stand-in (AwsApi) both accept it.
      env.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
      env.put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
      env.put("AWS_REGION", "eu-west-1");
      StandaloneCluster cluster = new StandaloneCluster(home, env, freePort(), freePort());
      cluster.writeStubs();
      cluster.startDaemons();
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the Spark standalone cluster", e);
    }
  }

  private void startDaemons() throws IOException {
    daemon(
        "master",
        List.of(
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            String.valueOf(masterPort),
            "--webui-port",
            String.valueOf(masterUiPort)));
    awaitMaster(state -> "ALIVE".equals(state.path("status").asText()), "the master to be ALIVE");
    daemon(
        "worker",
        List.of(
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            "127.0.0.1",
            "--port",
            String.valueOf(freePort()),
            "--webui-port",
            String.valueOf(freePort()),
            "--cores",
            "2",
            "--memory",
            "1536m",
            "--work-dir",
            workDir.toString(),
            masterUrl()));
    awaitMaster(state -> state.path("aliveworkers").asInt() == 1, "one ALIVE worker");
  }

  private void daemon(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(javaCommand("256m"));
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logs.resolve(name + ".log").toFile());
    pb.environment().putAll(env);
    daemons.add(pb.start());
  }

  private void awaitMaster(java.util.function.Predicate<JsonNode> ready, String what) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "(no answer)";
    while (System.nanoTime() < deadline) {
      for (Process p : daemons) {
        if (!p.isAlive()) {
          throw new IllegalStateException(
              "A Spark daemon exited with "
                  + p.exitValue()
                  + " while waiting for "
                  + what
                  + ":\n"
                  + daemonLogs());
        }
      }
      try {
        JsonNode state = masterState();
        last = state.toString();
        if (ready.test(state)) {
          return;
        }
      } catch (UncheckedIOException e) {
        last = e.getMessage();
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    stopDaemons();
    throw new IllegalStateException(
        "Timed out after "
            + START_TIMEOUT.toSeconds()
            + " s waiting for "
            + what
            + "; last state "
            + last
            + "\n"
            + daemonLogs());
  }

  /** The master's and worker's logs, for failure messages. */
  public String daemonLogs() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("master", "worker")) {
      try {
        out.append("--- ")
            .append(name)
            .append(".log\n")
            .append(Files.readString(logs.resolve(name + ".log")));
      } catch (IOException e) {
        out.append("(no ").append(name).append(".log)\n");
      }
    }
    return out.toString();
  }

  /**
   * {@code java} with the Java 17 flags spark-submit's launcher adds, the heap, and SPARK_HOME's
   * classpath as bin/spark-class builds it.
   */
  private List<String> javaCommand(String heap) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (flag.startsWith("--add-opens")
          || flag.startsWith("-Djdk.reflect")
          || flag.startsWith("-Dio.netty")) {
        command.add(flag);
      }
    }
    command.add("-Xmx" + heap);
    // Short-lived JVMs on 2 cores: C1 only and the serial GC start faster and leave the cores to
    // PostgreSQL.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(
        String.join(
            File.pathSeparator,
            home.resolve("conf").toString(),
            hadoopConfDir().toString(),
            home.resolve("jars") + File.separator + "*"));
    return command;
  }

  /**
   * Links every jar of the test classpath that a Spark distribution (or EMR) has into {@code jars}.
   */
  private static void linkSparkJars(Path jars) throws IOException {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Set<String> names = new HashSet<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      String normalized = entry.replace(File.separatorChar, '/');
      Path jar = Path.of(entry);
      String name = jar.getFileName().toString();
      if (!name.endsWith(".jar")
          || name.startsWith("tenantfold-")
          || NOT_ON_CLUSTER.stream().anyMatch(normalized::contains)) {
        continue;
      }
      if (!names.add(name)) {
        name = names.size() + "-" + name;
        names.add(name);
      }
      Files.createSymbolicLink(jars.resolve(name), jar.toAbsolutePath());
    }
  }

  /**
   * The cluster's Hadoop configuration: {@code s3://} and {@code s3a://} on the test S3 server with
   * its key pair, as an EMR cluster's core-site.xml and instance role make S3 reachable without
   * anything in the job's arguments.
   */
  private static String coreSite(S3Server s3) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("fs.s3.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
    props.put("fs.AbstractFileSystem.s3.impl", "org.apache.hadoop.fs.s3a.S3A");
    props.put("fs.s3a.endpoint", s3.endpoint());
    props.put("fs.s3a.endpoint.region", "us-east-1");
    props.put("fs.s3a.path.style.access", "true");
    props.put("fs.s3a.connection.ssl.enabled", "false");
    props.put(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    props.put("fs.s3a.access.key", S3Server.ACCESS_KEY);
    props.put("fs.s3a.secret.key", S3Server.SECRET_KEY);
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
    props.forEach(
        (k, v) ->
            xml.append("  <property><name>")
                .append(k)
                .append("</name><value>")
                .append(v)
                .append("</value></property>\n"));
    return xml.append("</configuration>\n").toString();
  }

  /** Folder with the stand-ins an EMR step finds on its PATH: {@code spark-submit}. */
  public Path binDir() {
    return home.resolve("bin");
  }

  /**
   * Writes {@code bin/spark-submit} (Spark's SparkSubmit with this cluster's classpath, {@code
   * --master yarn} replaced by this master: the one difference to EMR).
   */
  private void writeStubs() throws IOException {
    Path bin = Files.createDirectories(binDir());
    StringBuilder java = new StringBuilder();
    for (String part : javaCommand("512m")) {
      java.append('\'').append(part.replace("'", "'\\''")).append("' ");
    }
    Path submit = bin.resolve("spark-submit");
    Files.writeString(
        submit,
        """
        #!/usr/bin/env bash
        # Test stand-in for EMR's spark-submit: Spark's own SparkSubmit, on the standalone master instead of YARN.
        args=()
        while (( $# )); do
          if [[ "$1" == --master && "${2:-}" == yarn ]]; then args+=(--master '%s'); shift 2; continue; fi
          args+=("$1"); shift
        done
        exec %s org.apache.spark.deploy.SparkSubmit "${args[@]}"
        """
            .formatted(masterUrl(), java));
    for (Path script : List.of(submit)) {
      script.toFile().setExecutable(true);
    }
  }

  /**
   * Runs an EMR step's {@code Args} as command-runner.jar does (a process with those arguments, the
   * stand-ins first on PATH) and waits; the driver id is read from the submitter's output.
   */
  public Submission runStep(List<String> args, Map<String, String> extraEnv, Duration timeout) {
    try {
      Path out = Files.createTempFile(logs, "step", ".log");
      // The program is looked up on the step's PATH (stand-ins first), as command-runner.jar's
      // shell would; ProcessBuilder itself would search this JVM's PATH.
      List<String> command = new ArrayList<>(args);
      Path standIn = binDir().resolve(command.get(0));
      if (!command.get(0).contains("/") && Files.isExecutable(standIn)) {
        command.set(0, standIn.toString());
      }
      ProcessBuilder pb =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().putAll(env);
      pb.environment().putAll(extraEnv);
      pb.environment().put("PATH", binDir() + File.pathSeparator + System.getenv("PATH"));
      Process process = pb.start();
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new AssertionError(
            "The step did not end within " + timeout.toSeconds() + " s:\n" + Files.readString(out));
      }
      String output = Files.readString(out);
      Matcher m = DRIVER_ID.matcher(output);
      return new Submission(
          process.exitValue(), output, m.find() ? Optional.of(m.group(1)) : Optional.empty());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run the step " + args, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void stop() {
    stopDaemons();
    // Links, logs and the worker's work dir: tens of MB per test run; failures have already shown
    // their logs.
    try (Stream<Path> walk = Files.walk(home)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // The JVM is exiting.
    }
  }

  private void stopDaemons() {
    for (int i = daemons.size() - 1; i >= 0; i--) {
      Process p = daemons.get(i);
      // The worker's executors and drivers first (children of the worker), then the daemon itself.
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * What spark-submit did: its exit code, its output, and in cluster deploy mode the driver it
   * submitted.
   *
   * @param exitCode the exit code the submitter (an EMR step, a scheduler) sees
   * @param output stdout and stderr
   * @param driverId {@code driver-...} in standalone cluster deploy mode
   */
  public record Submission(int exitCode, String output, Optional<String> driverId) {}
}
