package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partitioned source table whose key lives only on its partitions (as Pagila's payment): the
 * target gets the key they share, and the table is read in parallel ranges of it.
 */
class PartitionedKeysTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void aKeyOnlyThePartitionsHaveBecomesTheConsolidatedKey() throws Exception {
    String acme = TestPostgres.createDatabase("acme");
    TestPostgres.execute(
        acme,
        """
        CREATE TABLE payment (payment_id int NOT NULL, paid date NOT NULL, amount numeric(5,2)) PARTITION BY RANGE (paid);
        CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
        CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
        ALTER TABLE payment_p2022_01 ADD PRIMARY KEY (payment_id);
        ALTER TABLE payment_p2022_02 ADD PRIMARY KEY (payment_id);
        INSERT INTO payment SELECT g, date '2022-01-01' + (g % 59), g % 100 FROM generate_series(1, 3000) g;
        """);
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .set("extract.rows-per-partition", 1000)
                    .build(reports),
                spark)
            .execute();

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(
            result
                .tenant("acme")
                .orElseThrow()
                .table("payment")
                .orElseThrow()
                .counts()
                .partitions())
        .as("read in parallel ranges of the key")
        .isGreaterThan(1);
    RowSets.assertSameRows(
        acme, warehouse, "acme", "payment", List.of("payment_id", "paid", "amount"));
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid ="
                    + " 'public.payment'::regclass AND contype = 'p'"))
        .containsExactly("PRIMARY KEY (tenant_id, payment_id)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO public.payment VALUES ('acme', 7, '2022-01-05', 1)"))
        .hasMessageContaining("duplicate key");
  }
}
