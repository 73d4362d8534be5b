package dev.tenantfold.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes {@code <report.dir>/<run_id>/report.json} and {@code report.html} beside it through
 * Hadoop's FileSystem, so a local path and an {@code s3a://} URI work alike (S3A when hadoop-aws is
 * on the classpath, as on EMR). Paths come back plain: a local file as its path, not a {@code
 * file:} URI.
 */
public final class ReportWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReportWriter.class);

  private ReportWriter() {}

  /** Writes report.json alone; returns its path. */
  public static String write(String reportDir, RunResult run, Configuration hadoopConf)
      throws IOException {
    return writeFile(reportDir, run.runId(), "report.json", json(run), hadoopConf);
  }

  /**
   * Writes report.json and report.html ({@link HtmlReport}, compared with {@code previous}, the
   * previous run of the same tenants, when there is one); returns report.json's path.
   */
  public static String write(
      String reportDir,
      RunResult run,
      java.util.Optional<RunResult> previous,
      Configuration hadoopConf)
      throws IOException {
    String path = write(reportDir, run, hadoopConf);
    try {
      writeFile(
          reportDir,
          run.runId(),
          "report.html",
          HtmlReport.render(run, run.statusLabel(), previous),
          hadoopConf);
    } catch (IOException | RuntimeException e) {
      // report.json is the record; without the HTML view `tenantfold report` renders it later from
      // the tables.
      LOG.error(
          "Cannot write report.html of run {} (report.json is written; tenantfold report --run-id"
              + " {} renders it): {}",
          run.runId(),
          run.runId(),
          e.getMessage());
    }
    return path;
  }

  /** report.json's text. */
  public static String json(RunResult run) {
    try {
      return JSON.writeValueAsString(toJson(run));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Cannot render report.json of run " + run.runId(), e);
    }
  }

  /**
   * Writes {@code <report.dir>/<run_id>/<name>} (plan.json, ...) and returns its qualified path.
   */
  public static String writeFile(
      String reportDir, String runId, String name, String content, Configuration hadoopConf)
      throws IOException {
    return write(new Path(new Path(new Path(toUri(reportDir)), runId), name), content, hadoopConf);
  }

  /**
   * Writes {@code content} to {@code location} (a local path or a URI such as s3a://) and returns
   * its qualified path.
   */
  public static String writeTo(String location, String content, Configuration hadoopConf)
      throws IOException {
    return write(new Path(toUri(location)), content, hadoopConf);
  }

  private static String write(Path file, String content, Configuration hadoopConf)
      throws IOException {
    FileSystem fs = file.getFileSystem(hadoopConf);
    fs.setWriteChecksum(false);
    if (file.getParent() != null) {
      fs.mkdirs(file.getParent());
    }
    try (OutputStream out = fs.create(file, true)) {
      out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return plain(fs.makeQualified(file).toString());
  }

  /**
   * A local file's path without the {@code file:} scheme (what a person pastes into a browser or
   * shell); other URIs as they are.
   */
  public static String plain(String qualified) {
    // Hadoop's Path reads a local path with spaces or other characters a URI must escape
    // (URI.create
    // would refuse "file:/tmp/my reports/...").
    return qualified.startsWith("file:") ? new Path(qualified).toUri().getPath() : qualified;
  }

  private static URI toUri(String dir) {
    if (dir.contains("://")) {
      return URI.create(dir);
    }
    return new java.io.File(dir).getAbsoluteFile().toURI();
  }

  public static ObjectNode toJson(RunResult run) {
    ObjectNode root = JSON.createObjectNode();
    root.put("run_id", run.runId());
    root.put("command", run.command());
    root.put("started_at", run.startedAt().toString());
    root.put("finished_at", run.finishedAt().toString());
    root.put("status", run.statusLabel());
    root.put("exit_code", run.exitCode());
    root.put("published_rows", run.publishedRows());
    root.putPOJO("notes", run.notes());
    // The full list under each note about many objects, by the note's text (the summary prints
    // the line only).
    root.putPOJO("note_items", run.noteItems());
    ArrayNode tenants = root.putArray("tenants");
    ArrayNode tables = root.putArray("table_results");
    for (TenantResult t : run.tenants()) {
      ObjectNode tn = tenants.addObject();
      tn.put("tenant_id", t.tenantId());
      tn.put("status", t.status().name());
      tn.put("published", t.published());
      tn.put("message", t.message());
      tn.put("millis", t.millis());
      t.source()
          .ifPresent(
              src -> {
                ObjectNode sn = tn.putObject("source");
                sn.put("kind", src.kind());
                sn.put("description", src.description());
                sn.put("point_in_time", src.pointInTime().map(Object::toString).orElse(null));
              });
      ObjectNode stages = tn.putObject("stage_millis");
      t.stageMillis().forEach(stages::put);
      for (TableResult r : t.tables()) {
        ObjectNode rn = tables.addObject();
        rn.put("run_id", run.runId());
        rn.put("tenant_id", r.tenantId());
        rn.put("table_name", r.tableName());
        rn.put("source_rows", r.sourceRows());
        rn.put("extracted_rows", r.extractedRows());
        rn.put("duplicates_removed", r.duplicatesRemoved());
        rn.put("rejected_rows", r.rejectedRows());
        rn.put("loaded_rows", r.loadedRows());
        if (r.previousRows().isPresent()) {
          rn.put("previous_rows", r.previousRows().getAsLong());
        } else {
          rn.putNull("previous_rows");
        }
        rn.put("partitions", r.partitions());
        rn.put("status", r.status().name());
        rn.put("published", r.published());
        rn.put("message", r.message());
        if (r.checksum() != null) {
          ObjectNode c = rn.putObject("checksum");
          c.put("source", r.checksum().sourceDigest());
          c.put("target", r.checksum().targetDigest());
          c.put("buckets_compared", r.checksum().buckets());
          c.put("mismatched_buckets", r.checksum().mismatchedBuckets());
          c.put("drilled_buckets", r.checksum().drilledBuckets());
          ObjectNode kinds = c.putObject("differences");
          r.checksum().differenceCounts().forEach((kind, n) -> kinds.put(kind.name(), n));
          ArrayNode keys = c.putArray("mismatches");
          for (var d : r.checksum().listed()) {
            ObjectNode k = keys.addObject();
            // The readable key as a JSON object ({"order_id": 2002, "line_no": 2}), not as a string
            // holding JSON.
            k.putRawValue("key", new com.fasterxml.jackson.databind.util.RawValue(d.key()));
            k.put("kind", d.kind().name());
            k.putPOJO("columns", d.changedColumns());
            k.put("source_rows", d.sourceRows());
            k.put("target_rows", d.targetRows());
          }
        }
      }
    }
    return root;
  }
}
