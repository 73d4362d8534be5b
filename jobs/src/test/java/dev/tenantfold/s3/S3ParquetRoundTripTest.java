package dev.tenantfold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.S3Server;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Spark writes and reads Parquet on a real S3 server (s3proxy) through Hadoop S3A configured by
 * {@code S3Config}: the protocol, the SDK modules on the classpath and the settings all take part.
 */
class S3ParquetRoundTripTest {
  private static SparkSession spark;
  private static S3Server s3;

  @BeforeAll
  static void start() {
    s3 = S3Server.get();
    spark = LocalSpark.session();
    s3.applyTo(spark.sparkContext().hadoopConfiguration());
    s3.createBucket("roundtrip");
  }

  @Test
  void writesAndReadsParquetThroughS3aAndS3Uris() {
    Dataset<Row> rows =
        spark
            .sql(
                "SELECT id, CAST(id * 1.5 AS decimal(12,2)) AS amount, concat('név\\t', id) AS"
                    + " label, CASE WHEN id % 7 = 0 THEN NULL ELSE array(id, NULL) END AS tags FROM"
                    + " range(0, 500)")
            .repartition(3);
    rows.write().mode(SaveMode.Overwrite).parquet("s3a://roundtrip/export/orders");

    List<String> keys = s3.listKeys("roundtrip", "export/orders/");
    assertThat(keys)
        .as("objects S3 holds after the write")
        .anyMatch(k -> k.endsWith(".parquet"))
        .contains("export/orders/_SUCCESS");
    List<Row> expected = rows.collectAsList();
    assertThat(spark.read().parquet("s3a://roundtrip/export/orders").collectAsList())
        .as("rows read back over s3a://")
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(spark.read().parquet("s3://roundtrip/export/orders").collectAsList())
        .as("rows read back over s3:// (S3A)")
        .containsExactlyInAnyOrderElementsOf(expected);
  }
}
