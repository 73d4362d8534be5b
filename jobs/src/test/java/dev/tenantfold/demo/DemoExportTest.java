package dev.tenantfold.demo;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DemoExport} with parts of at most N rows: every row once, no part over N rows, and the
 * parts written by one Spark task per range of the table (the task's index is in a part's name), so
 * a large table's export is not one task's work.
 */
class DemoExportTest {
  private static final SparkSession SPARK = LocalSpark.session();
  private static String url;

  @TempDir Path dir;

  @BeforeAll
  static void database() {
    url = TestPostgres.createDatabase("demo_export") + "?user=postgres&password=postgres";
    TestPostgres.execute(
        url,
        "CREATE TABLE keyed (id bigint PRIMARY KEY, note text);"
            + " INSERT INTO keyed SELECT g, 'note ' || g FROM generate_series(1, 100) g;"
            + " CREATE TABLE heap (n int, pad text);"
            + " INSERT INTO heap SELECT g, repeat('x', 200) FROM generate_series(1, 1000) g");
  }

  @Test
  void aKeyedTableIsWrittenInOnePartPerKeyRangeByOneTaskEach() throws Exception {
    DemoExport.write(SPARK, url, "demo", List.of("keyed"), dir, new DemoExport.Layout(25, 0));

    Path folder = dir.resolve("demo/public.keyed/1");
    assertThat(rowsPerPart(folder))
        .as("100 rows over key ranges of 25: four parts of 25 rows")
        .containsExactly(25L, 25L, 25L, 25L);
    assertThat(writingTasks(folder)).as("one writing task per key range").hasSize(4);
    assertThat(ids(folder, "id"))
        .as("every row once")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 100).boxed().toList());
  }

  @Test
  void aTableWithoutAnIntegerKeyIsWrittenByPageRanges() throws Exception {
    DemoExport.write(SPARK, url, "demo", List.of("heap"), dir, new DemoExport.Layout(250, 0));

    Path folder = dir.resolve("demo/public.heap/1");
    assertThat(rowsPerPart(folder)).as("no part over 250 rows").allMatch(rows -> rows <= 250);
    assertThat(writingTasks(folder)).as("one writing task per page range").hasSize(4);
    assertThat(ids(folder, "n"))
        .as("every row once")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 1000).boxed().toList());
  }

  @Test
  void sparksDefaultLayoutIsOnePartWrittenByOneTask() throws Exception {
    DemoExport.write(SPARK, url, "demo", List.of("keyed"), dir);

    Path folder = dir.resolve("demo/public.keyed/1");
    assertThat(rowsPerPart(folder)).as("one part of every row").containsExactly(100L);
  }

  private static List<Long> rowsPerPart(Path folder) {
    return SPARK
        .read()
        .parquet(folder.toString())
        .groupBy(input_file_name())
        .count()
        .collectAsList()
        .stream()
        .map(r -> r.getLong(1))
        .sorted()
        .toList();
  }

  /** The task indexes in the parts' names ({@code part-00003-<uuid>-c000.gz.parquet}). */
  private static Set<String> writingTasks(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(name -> name.endsWith(".parquet"))
          .map(name -> name.substring("part-".length(), "part-00000".length()))
          .collect(Collectors.toSet());
    }
  }

  private static List<Long> ids(Path folder, String column) {
    return SPARK.read().parquet(folder.toString()).select(col(column)).collectAsList().stream()
        .map(r -> r.getString(0))
        .map(Long::valueOf)
        .sorted()
        .toList();
  }
}
