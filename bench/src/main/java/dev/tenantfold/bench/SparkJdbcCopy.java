package dev.tenantfold.bench;

import static org.apache.spark.sql.functions.lit;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Spark's stock JDBC path, as a user would first write it: {@code spark.read().jdbc(...)} of each
 * tenant's table (one partition per tenant, no partition column), the tenant column added with
 * {@code withColumn}, the union appended with {@code df.write().jdbc(...)} (batched INSERTs of 1000
 * rows, one transaction per partition). With {@code local[2]} two tenants move at a time, as in the
 * raw pipe. Two settings depart from the defaults, both needed to finish at all: {@code fetchsize}
 * (pgjdbc otherwise buffers a whole tenant's result in the heap) and {@code stringtype=unspecified}
 * (Spark writes uuid columns as strings, which PostgreSQL refuses for a uuid column otherwise).
 */
final class SparkJdbcCopy {
  static final int FETCH_SIZE = 10_000;

  private SparkJdbcCopy() {}

  static void run(SparkSession spark, Map<String, JdbcEndpoint> tenants, JdbcEndpoint target) {
    Dataset<Row> all = null;
    for (Map.Entry<String, JdbcEndpoint> tenant : tenants.entrySet()) {
      Properties read = credentials(tenant.getValue());
      read.setProperty("fetchsize", String.valueOf(FETCH_SIZE));
      Dataset<Row> one =
          spark
              .read()
              .jdbc(tenant.getValue().url(), OrdersDataset.TABLE, read)
              .withColumn(OrdersDataset.TENANT_COLUMN, lit(tenant.getKey()));
      all = all == null ? one : all.unionByName(one);
    }
    Properties write = credentials(target);
    write.setProperty("stringtype", "unspecified");
    all.write().mode(SaveMode.Append).jdbc(target.url(), OrdersDataset.TABLE, write);
  }

  private static Properties credentials(JdbcEndpoint endpoint) {
    Properties props = new Properties();
    if (endpoint.user() != null) {
      props.setProperty("user", endpoint.user());
    }
    if (endpoint.password() != null) {
      props.setProperty("password", endpoint.password());
    }
    return props;
  }
}
