package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.AuditJob;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 5, through the real pipeline (COPY stream, staging, validation before publish, the
 * validate command after it): an xml value with a declaration, which COPY delivers without it, is
 * no false alarm; a changed xml value and U+FFFF moved between two columns in flight are caught.
 */
class ChecksumEndToEndTest {
  private static final String TENANT_SCHEMA =
      """
      CREATE TABLE docs (id bigint PRIMARY KEY, doc xml, "select" text, "user" text);
      INSERT INTO docs VALUES
        (1, '<?xml version="1.0"?><r/>', 'a', 'b'),
        (2, '<?xml version="1.0" encoding="UTF-8"?>\n\n<r>é</r>', U&'s\\FFFF', 'u'),
        (3, $$<?xml version='1.0' standalone='yes'?><r/>$$, U&'\\FFFE', NULL),
        (4, '<r/>', NULL, ''),
        (5, NULL, 'x', 'y');
      """;
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void xmlWithDeclarationMigratesAsAMatchAndAuditsClean() throws Exception {
    String acme = TestPostgres.createDatabase("tenant_xml");
    TestPostgres.execute(acme, TENANT_SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);

    RunResult run = new MigrationJob(config, spark).execute();

    TableResult docs = docs(run);
    assertThat(docs.status())
        .as("docs validated before publish: %s", docs.message())
        .isEqualTo(TableStatus.OK);
    assertThat(docs.checksum().mismatchedBuckets()).as("mismatched buckets").isZero();
    assertThat(run.exitCode()).as("run exit code").isZero();
    RunResult audit = new AuditJob(config, Optional.empty(), Optional.empty()).execute();
    assertThat(docs(audit).status())
        .as("validate after publish: %s", docs(audit).message())
        .isEqualTo(TableStatus.OK);
    assertThat(audit.exitCode()).as("validate exit code").isZero();
  }

  @Test
  void changedXmlAndU_FFFFMovedToTheNextColumnAreCaughtBeforePublish() throws Exception {
    String acme = TestPostgres.createDatabase("tenant_xml");
    TestPostgres.execute(acme, TENANT_SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);
    Fixtures.stagingTrigger(
        warehouse,
        "docs",
        """
        IF NEW.id = 1 THEN NEW.doc := '<r a="1"/>'; END IF;
        IF NEW.id = 2 THEN NEW."select" := 's'; NEW."user" := U&'\\FFFFu'; END IF;
        RETURN NEW;\
        """);

    RunResult run = new MigrationJob(config, spark).execute();

    TableResult docs = docs(run);
    assertThat(docs.status()).as("docs status").isEqualTo(TableStatus.MISMATCH);
    assertThat(docs.counts().sourceRows())
        .as("counts agree, so only the checksum can tell")
        .isEqualTo(docs.counts().loadedRows());
    assertThat(docs.checksum().listed())
        .as("differences")
        .containsExactly(
            new RowDifference("{\"id\": 1}", RowDifference.Kind.CHANGED, 1, 1, List.of("doc")),
            new RowDifference(
                "{\"id\": 2}", RowDifference.Kind.CHANGED, 1, 1, List.of("select", "user")));
    assertThat(run.tenants().get(0).published()).as("tenant published").isFalse();
    assertThat(run.exitCode()).as("run exit code").isEqualTo(3);
  }

  private static TableResult docs(RunResult result) {
    return result.tenants().get(0).tables().stream()
        .filter(t -> t.tableName().equals("docs"))
        .findFirst()
        .orElseThrow();
  }
}
