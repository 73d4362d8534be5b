package dev.tenantfold.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The machine the figures were taken on, so they are never quoted without it. */
record MachineInfo(
    int cores, String cpuModel, long memoryBytes, String javaVersion, long maxHeapBytes) {

  static MachineInfo current() {
    long memory =
        ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os
            ? os.getTotalMemorySize()
            : -1;
    return new MachineInfo(
        Runtime.getRuntime().availableProcessors(),
        readCpuModel().orElse("unknown CPU"),
        memory,
        System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"),
        Runtime.getRuntime().maxMemory());
  }

  /** The system's one-minute load average: other work on the machine skews every figure. */
  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** {@code /proc/loadavg}'s 1, 5 and 15 minute figures, or the JVM's 1-minute one elsewhere. */
  static String loadAverages() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException | RuntimeException e) {
      return String.format(java.util.Locale.ROOT, "%.2f", loadAverage());
    }
  }

  private static Optional<String> readCpuModel() {
    try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
