package dev.tenantfold.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.testing.AwsApi;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tenantfold export} and {@code tenantfold discover} as a user runs them (exit codes and
 * printed output), the real SDK client against recorded RDS responses.
 */
class ExportAndDiscoverCommandTest {
  private static final String TASK = "tf-acme-20261129-150000";
  private AwsApi api;
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void start() {
    api = new AwsApi();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private int run(String... args) throws Exception {
    Path config = dir.resolve("job.conf");
    Files.writeString(
        config,
        "tenantfold {\n"
            + " aws { region = "
            + AwsApi.REGION
            + ", rds-endpoint = \""
            + api.endpoint()
            + "\", poll-interval = 20ms\n"
            + "   export { bucket = tenant-exports, prefix = tenantfold, iam-role ="
            + " \"arn:aws:iam::123456789012:role/rds-s3-export\", kms-key ="
            + " \"arn:aws:kms:eu-west-1:123456789012:key/1111\" }\n"
            + "   discover { tag = tenant, user = tenantfold_reader } }\n"
            + " target { url = \"jdbc:postgresql://localhost:1/warehouse\" }\n"
            + " tenants = [ { id = acme, instance = acme-prod, jdbc { url ="
            + " \"jdbc:postgresql://acme-prod.abc.eu-west-1.rds.amazonaws.com:5432/acme\", user ="
            + " reader, password = \"hunter2-prod\" } } ]\n"
            + "}");
    String[] full = new String[args.length + 2];
    full[0] = args[0];
    full[1] = "--config";
    full[2] = config.toString();
    System.arraycopy(args, 1, full, 3, args.length - 1);
    return TenantfoldMain.run(full, new PrintStream(out, true), new PrintStream(err, true));
  }

  private static String snapshot(String id, String created) {
    return "<DBSnapshot><DBSnapshotIdentifier>"
        + id
        + "</DBSnapshotIdentifier><DBSnapshotArn>arn:aws:rds:eu-west-1:123456789012:snapshot:"
        + id
        + "</DBSnapshotArn><DBInstanceIdentifier>acme-prod</DBInstanceIdentifier><Status>available</Status><SnapshotCreateTime>"
        + created
        + "</SnapshotCreateTime></DBSnapshot>";
  }

  private static String task(String status, int percent, String failureCause) {
    return "<ExportTaskIdentifier>"
        + TASK
        + "</ExportTaskIdentifier><SourceArn>arn:aws:rds:eu-west-1:123456789012:snapshot:rds:acme-prod-2026-11-29</SourceArn>"
        + "<S3Bucket>tenant-exports</S3Bucket><S3Prefix>tenantfold</S3Prefix><Status>"
        + status
        + "</Status><PercentProgress>"
        + percent
        + "</PercentProgress><SnapshotTime>2026-11-29T03:00:00Z</SnapshotTime>"
        + (failureCause == null ? "" : "<FailureCause>" + failureCause + "</FailureCause>");
  }

  private void exportEndingIn(String finalTask) {
    api.rds(
        "DescribeDBSnapshots",
        "<DBSnapshots>"
            + snapshot("rds:acme-prod-2026-11-28", "2026-11-28T03:00:00Z")
            + snapshot("rds:acme-prod-2026-11-29", "2026-11-29T03:00:00Z")
            + snapshot("rds:acme-prod-2026-11-27", "2026-11-27T03:00:00Z")
            + "</DBSnapshots>");
    api.rds("StartExportTask", task("STARTING", 0, null));
    api.rdsSequence(
        "DescribeExportTasks",
        List.of(
            "<ExportTasks><ExportTask>"
                + task("IN_PROGRESS", 40, null)
                + "</ExportTask></ExportTasks>",
            "<ExportTasks><ExportTask>" + finalTask + "</ExportTask></ExportTasks>"));
  }

  @Test
  void exportOfTheLatestSnapshotCompletesAndPrintsATenantBlock() throws Exception {
    exportEndingIn(task("COMPLETE", 100, null));

    assertThat(run("export", "--tenant", "acme")).as("stderr: %s", err).isZero();

    Map<String, String> start = api.requests("StartExportTask").get(0);
    assertThat(start)
        .containsEntry(
            "SourceArn", "arn:aws:rds:eu-west-1:123456789012:snapshot:rds:acme-prod-2026-11-29")
        .containsEntry("S3BucketName", "tenant-exports")
        .containsEntry("S3Prefix", "tenantfold")
        .containsEntry("IamRoleArn", "arn:aws:iam::123456789012:role/rds-s3-export")
        .containsEntry("KmsKeyId", "arn:aws:kms:eu-west-1:123456789012:key/1111")
        .containsEntry("ExportOnly.member.1", "acme.public");
    assertThat(start.get("ExportTaskIdentifier")).startsWith("tf-acme-");
    assertThat(api.requests("DescribeDBSnapshots").get(0))
        .containsEntry("DBInstanceIdentifier", "acme-prod");
    assertThat(out.toString())
        .contains("Export task " + TASK + " COMPLETE: s3://tenant-exports/tenantfold/" + TASK)
        .contains(
            "{ id = acme, export { path = \"s3://tenant-exports/tenantfold/"
                + TASK
                + "\", database = acme, schemas = [public] } }")
        .doesNotContain("hunter2-prod");
  }

  @Test
  void aNamedSnapshotIsExported() throws Exception {
    exportEndingIn(task("COMPLETE", 100, null));
    api.rds(
        "DescribeDBSnapshots",
        "<DBSnapshots>" + snapshot("before-migration", "2026-11-01T00:00:00Z") + "</DBSnapshots>",
        "DBSnapshotIdentifier=before-migration");

    assertThat(run("export", "--tenant", "acme", "--snapshot", "before-migration")).isZero();

    assertThat(api.requests("StartExportTask").get(0))
        .containsEntry("SourceArn", "arn:aws:rds:eu-west-1:123456789012:snapshot:before-migration");
  }

  @Test
  void aFailedExportExitsOneWithAwsCause() throws Exception {
    exportEndingIn(
        task(
            "FAILED",
            12,
            "The IAM role arn:aws:iam::123456789012:role/rds-s3-export is not authorized to write"
                + " to tenant-exports"));

    assertThat(run("export", "--tenant", "acme")).isEqualTo(1);

    assertThat(out.toString())
        .contains(
            "Export task "
                + TASK
                + " FAILED: The IAM role arn:aws:iam::123456789012:role/rds-s3-export is not"
                + " authorized");
    assertThat(api.requests("DescribeExportTasks")).as("polled until the end").hasSize(2);
  }

  @Test
  void aCanceledExportExitsOne() throws Exception {
    exportEndingIn(task("CANCELED", 30, null));

    assertThat(run("export", "--tenant", "acme")).isEqualTo(1);

    assertThat(out.toString()).contains("Export task " + TASK + " CANCELED");
  }

  @Test
  void exportNeedsItsDestination() throws Exception {
    assertThat(run("export")).isEqualTo(2);
    assertThat(err.toString()).contains("'export' needs --tenant ID");
  }

  @Test
  void discoverReadsEveryPageAndPrintsTaggedPostgresInstancesWithoutPasswords() throws Exception {
    api.rds(
        "DescribeDBInstances",
        AwsApi.instances(
            "page-2",
            AwsApi.instance(
                "acme-prod",
                "available",
                "acme-prod.abc.eu-west-1.rds.amazonaws.com",
                5432,
                Map.of("tenant", "acme", "team", "billing")),
            AwsApi.instance(
                "internal-tools",
                "available",
                "tools.abc.eu-west-1.rds.amazonaws.com",
                5432,
                Map.of("team", "it"))));
    api.rds(
        "DescribeDBInstances",
        AwsApi.instances(
            null,
            AwsApi.instance(
                "globex-prod",
                "available",
                "globex-prod.abc.eu-west-1.rds.amazonaws.com",
                5433,
                Map.of("tenant", "globex")),
            AwsApi.instance(
                "tf-acme-20261129t150000z-ab12",
                "available",
                "copy.abc.eu-west-1.rds.amazonaws.com",
                5432,
                Map.of("tenant", "acme", RdsControlPlane.RUN_TAG, "20261129T150000Z-ab12"))),
        "Marker=page-2");

    assertThat(run("discover")).as("stderr: %s", err).isZero();

    assertThat(api.requests("DescribeDBInstances")).as("two pages").hasSize(2);
    assertThat(out.toString())
        .contains("tenants = [")
        .contains(
            "{ id = acme, instance = acme-prod, jdbc { url ="
                + " \"jdbc:postgresql://acme-prod.abc.eu-west-1.rds.amazonaws.com:5432/app\", user"
                + " = tenantfold_reader } }")
        .contains(
            "{ id = globex, instance = globex-prod, jdbc { url ="
                + " \"jdbc:postgresql://globex-prod.abc.eu-west-1.rds.amazonaws.com:5433/app\"")
        .doesNotContain("internal-tools")
        .doesNotContain("tf-acme-")
        .doesNotContainIgnoringCase("password =");
  }
}
