package dev.tenantfold.job;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code tenantfold} in a JVM of its own, with the test's classpath and JVM flags, so a test
 * can kill it.
 */
final class ChildJvm {
  private ChildJvm() {}

  static Process tenantfold(String... args) throws IOException {
    return tenantfold(File.createTempFile("tenantfold-child", ".log"), args);
  }

  /** As {@link #tenantfold(String...)}, its output (stdout and stderr) in {@code log}. */
  static Process tenantfold(File log, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (flag.startsWith("--add-opens")
          || flag.startsWith("-Djdk.reflect")
          || flag.startsWith("-Dio.netty")) {
        command.add(flag);
      }
    }
    command.add("-Xmx1g");
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add("dev.tenantfold.cli.TenantfoldMain");
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
  }
}
