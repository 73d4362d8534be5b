package dev.tenantfold.cluster;

import dev.tenantfold.cluster.StandaloneCluster.Submission;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a scheduler submitting to a Spark standalone master must do to learn a cluster-mode run's
 * outcome: spark-submit's standalone client exits 0 whenever the driver ended (FINISHED or FAILED),
 * so the exit code comes from the driver state the master reports ({@code GET /json/}, field {@code
 * completeddrivers[].state}; docs/runbook.md). On YARN (EMR) spark-submit itself fails.
 */
final class StandaloneSubmitter {
  private StandaloneSubmitter() {}

  /**
   * The packaged jar under test: {@code -Dtenantfold.spark.jar}, set by the failsafe configuration
   * in jobs/pom.xml.
   */
  static Path sparkJar() {
    String jar = System.getProperty("tenantfold.spark.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          "No -spark.jar at " + jar + ": run the *IT tests through 'mvn verify' (after package)");
    }
    return Path.of(jar);
  }

  /**
   * 0 when spark-submit and (in cluster deploy mode) the driver succeeded; spark-submit's code, or
   * 1 for a driver that did not FINISH.
   */
  static int exitCode(StandaloneCluster cluster, Submission submission) {
    if (submission.exitCode() != 0 || submission.driverId().isEmpty()) {
      return submission.exitCode();
    }
    return "FINISHED".equals(cluster.driverState(submission.driverId().get())) ? 0 : 1;
  }
}
