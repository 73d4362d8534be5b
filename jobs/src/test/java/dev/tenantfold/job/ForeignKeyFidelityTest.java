package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Foreign keys as the source declares them (issue 20, items 2 and 3), on small hand-written
 * fixtures after the employees sample and Pagila: ON DELETE CASCADE / SET NULL (the key's own
 * column, never the tenant column), ON UPDATE CASCADE, RESTRICT, MATCH FULL, DEFERRABLE INITIALLY
 * DEFERRED, and keys declared on partitions of a partitioned table (Pagila's payment_p2022_01..06),
 * each acting on the tenant's own rows only.
 */
class ForeignKeyFidelityTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private static String tenant(String name) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE dept (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE emp (id int PRIMARY KEY, name text NOT NULL,
          dept_id int REFERENCES dept ON DELETE CASCADE ON UPDATE CASCADE,
          mentor_dept int, CONSTRAINT emp_mentor_fk FOREIGN KEY (mentor_dept) REFERENCES dept ON DELETE SET NULL ON UPDATE CASCADE);
        CREATE TABLE badge (id int PRIMARY KEY, emp_id int NOT NULL CONSTRAINT badge_emp_fk REFERENCES emp ON DELETE RESTRICT);
        CREATE TABLE ab (a int, b int, PRIMARY KEY (a, b));
        CREATE TABLE pair (id int PRIMARY KEY, a int, b int,
          CONSTRAINT pair_fk FOREIGN KEY (a, b) REFERENCES ab (a, b) MATCH FULL DEFERRABLE INITIALLY DEFERRED);
        CREATE TABLE rental (rental_id int PRIMARY KEY);
        CREATE TABLE payment (payment_id int NOT NULL, rental_id int NOT NULL, paid date NOT NULL,
          PRIMARY KEY (payment_id, paid)) PARTITION BY RANGE (paid);
        CREATE TABLE payment_p1 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
        CREATE TABLE payment_p2 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
        ALTER TABLE payment_p1 ADD CONSTRAINT payment_p1_rental_fk FOREIGN KEY (rental_id) REFERENCES rental;
        INSERT INTO dept SELECT g, '%1$s dept ' || g FROM generate_series(1, 3) g;
        INSERT INTO emp SELECT g, '%1$s emp ' || g, 1 + g %% 3, 1 + (g + 1) %% 3 FROM generate_series(1, 9) g;
        INSERT INTO badge VALUES (1, 1);
        INSERT INTO ab VALUES (1, 1), (2, 2);
        INSERT INTO pair VALUES (1, 1, 1), (2, NULL, NULL);
        INSERT INTO rental SELECT generate_series(1, 5);
        INSERT INTO payment SELECT g, 1 + g %% 5, date '2022-01-01' + g FROM generate_series(1, 50) g;
        """
            .formatted(name));
    return url;
  }

  @Test
  void foreignKeysActAsDeclaredOnTheTenantsOwnRows() throws Exception {
    String a = tenant("fka");
    String b = tenant("fkb");
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse).tenant("a", a).tenant("b", b).build(reports), spark)
            .execute();
    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(result.notes())
        .as("nothing of the keys lost on a PostgreSQL 16 target")
        .noneMatch(n -> n.contains("foreign key"));

    // ON DELETE CASCADE and ON DELETE SET NULL: the tenant's own rows, the key's own column.
    long bEmps = RowSets.count(warehouse, "SELECT count(*) FROM emp WHERE tenant_id = 'b'");
    TestPostgres.execute(
        warehouse,
        "DELETE FROM badge WHERE tenant_id = 'a'; DELETE FROM dept WHERE tenant_id = 'a' AND id ="
            + " 2");
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM emp WHERE tenant_id = 'a' AND dept_id = 2"))
        .as("a's employees of the deleted department (ON DELETE CASCADE)")
        .isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT DISTINCT tenant_id || ' ' || coalesce(mentor_dept::text, 'null') FROM emp"
                    + " WHERE tenant_id = 'a' AND id IN (SELECT id FROM emp WHERE tenant_id = 'b'"
                    + " AND mentor_dept = 2)"))
        .as("a's mentors of the deleted department (ON DELETE SET NULL of the key's column only)")
        .containsExactly("a null");
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM emp WHERE tenant_id = 'b'"))
        .as("b's employees")
        .isEqualTo(bEmps);

    // ON UPDATE CASCADE.
    TestPostgres.execute(warehouse, "UPDATE dept SET id = 10 WHERE tenant_id = 'a' AND id = 1");
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM emp WHERE tenant_id = 'a' AND dept_id = 10"))
        .as("a's employees follow their department's new id (ON UPDATE CASCADE)")
        .isEqualTo(RowSets.count(a, "SELECT count(*) FROM emp WHERE dept_id = 1"));

    // ON DELETE RESTRICT.
    assertThatThrownBy(
            () ->
                TestPostgres.execute(warehouse, "DELETE FROM emp WHERE tenant_id = 'b' AND id = 1"))
        .as("an employee with a badge (ON DELETE RESTRICT)")
        .hasMessageContaining("violates foreign key constraint")
        .hasMessageContaining("on table \"badge\"");

    // DEFERRABLE INITIALLY DEFERRED, and MATCH FULL.
    TestPostgres.execute(
        warehouse,
        "BEGIN; INSERT INTO pair VALUES ('a', 3, 3, 3); INSERT INTO ab VALUES ('a', 3, 3); COMMIT");
    assertThatThrownBy(
            () -> TestPostgres.execute(warehouse, "INSERT INTO pair VALUES ('a', 4, 1, NULL)"))
        .as("a half-null key (MATCH FULL)")
        .hasMessageContaining("pair_fk");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "BEGIN; INSERT INTO pair VALUES ('a', 5, 7, 7); COMMIT"))
        .as("a key to nothing, checked at commit")
        .hasMessageContaining("pair_fk");

    // A key declared on a partition: recreated on each tenant's partition.
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO payment (tenant_id, payment_id, rental_id, paid) VALUES ('a', 999,"
                        + " 12345, '2022-01-15')"))
        .as("a payment for a rental that does not exist")
        .hasMessageContaining("payment_p1_rental_fk");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO payment (tenant_id, payment_id, rental_id, paid) VALUES ('b', 999,"
                        + " 4, '2022-01-15'); DELETE FROM rental WHERE tenant_id = 'b' AND"
                        + " rental_id = 4"))
        .as("a rental with payments")
        .hasMessageContaining("violates foreign key constraint")
        .hasMessageContaining("payment__b");
  }
}
