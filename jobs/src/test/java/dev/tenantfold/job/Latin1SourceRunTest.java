package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference.Kind;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LATIN1 source into the UTF8 target: the server converts what it sends, and the source-side
 * checksum computed in the LATIN1 database equals the target side for non-ASCII values.
 */
class Latin1SourceRunTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private static String latin1Tenant() {
    String name = "latin1_run_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000;
    TestPostgres.execute(
        TestPostgres.url("postgres"),
        "CREATE DATABASE "
            + name
            + " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    String url = TestPostgres.url(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, city varchar(40), tags text[]);
        INSERT INTO customers VALUES (1, 'Zoë Müller', 'Köln', '{"ß","à la"}'), (2, 'José', 'São Paulo', NULL), (3, 'plain', NULL, '{}'), (4, 'é', 'é', '{é,NULL}');
        CREATE TABLE labels (code text PRIMARY KEY, label text);
        INSERT INTO labels VALUES ('clé', 'Schlüssel'), ('niño', 'Kind'), ('abc', 'plain'), ('ÿ', 'last');
        """);
    return url;
  }

  @Test
  void aLatin1SourceMigratesAndItsChecksumsMatchTheUtf8Target() throws Exception {
    String acme = latin1Tenant();
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);

    RunResult result = new MigrationJob(config, spark).execute();

    assertThat(result.exitCode()).as("%s", result.tenants()).isZero();
    assertThat(result.tenants().get(0).tables())
        .extracting(TableResult::tableName)
        .containsExactlyInAnyOrder("customers", "labels");
    assertThat(result.tenants().get(0).tables())
        .allSatisfy(
            t -> {
              assertThat(t.status())
                  .as("%s: %s", t.tableName(), t.message())
                  .isEqualTo(TableStatus.OK);
              assertThat(t.checksum().sourceDigest())
                  .as("source digest computed in LATIN1 of %s", t.tableName())
                  .isEqualTo(t.checksum().targetDigest());
            });
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT name || '|' || city FROM public.customers WHERE tenant_id = 'acme' AND id ="
                    + " 4"))
        .containsExactly("é|é");
    RowSets.assertSameRows(
        acme, warehouse, "acme", "customers", List.of("id", "name", "city", "tags"));
    RowSets.assertSameRows(acme, warehouse, "acme", "labels", List.of("code", "label"));
    assertThat(new AuditJob(config, Optional.empty(), Optional.empty()).execute().exitCode())
        .as("validate agrees")
        .isZero();
  }

  @Test
  void aValueChangedUnderANonAsciiKeyIsNamedAsChangedNotAsMissingAndExtra() throws Exception {
    String acme = latin1Tenant();
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);
    Fixtures.stagingTrigger(
        warehouse,
        "labels",
        "IF NEW.code = 'clé' THEN NEW.label := 'Schlussel'; END IF; RETURN NEW;");

    RunResult result = new MigrationJob(config, spark).execute();

    assertThat(result.exitCode()).isEqualTo(3);
    TableResult labels =
        result.tenants().get(0).tables().stream()
            .filter(t -> t.tableName().equals("labels"))
            .findFirst()
            .orElseThrow();
    assertThat(labels.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(labels.checksum().listed())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.kind()).isEqualTo(Kind.CHANGED);
              assertThat(d.key())
                  .as("the readable key, decoded from the UTF-8 canonical text")
                  .isEqualTo("{\"code\": \"clé\"}");
              assertThat(d.changedColumns()).containsExactly("label");
            });
  }
}
