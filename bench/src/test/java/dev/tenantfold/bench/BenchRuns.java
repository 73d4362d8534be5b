package dev.tenantfold.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bench tests' one way to run {@code bench/run}: on the tests' server, its results in a file.
 */
final class BenchRuns {
  private BenchRuns() {}

  /**
   * Runs the benchmark with {@code options} against the tests' PostgreSQL, writing its markdown to
   * {@code out}; asserts it exits 0 and returns the markdown.
   */
  static String run(Path out, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of(options));
    args.addAll(
        List.of(
            "--server",
            TestPostgres.url("postgres"),
            "--user",
            "postgres",
            "--out",
            out.toString()));
    int exit = Benchmark.run(args.toArray(String[]::new));
    String markdown = Files.readString(out);
    assertThat(exit).as("exit code; results:%n%s", markdown).isZero();
    return markdown;
  }
}
