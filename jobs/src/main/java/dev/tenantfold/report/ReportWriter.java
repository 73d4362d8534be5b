package dev.tenantfold.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.OptionalLong;
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
    return write(reportDir, run, run.statusLabel(), previous, CatchUpReport.none(), hadoopConf);
  }

  /**
   * As {@link #write(String, RunResult, java.util.Optional, Configuration)}, with the catch-up and
   * cutovers that followed the run's base copy ({@code catchUp}) and the run's {@code status} as
   * recorded: what {@code catch-up} and {@code cutover} write again after they ran.
   */
  public static String write(
      String reportDir,
      RunResult run,
      String status,
      java.util.Optional<RunResult> previous,
      CatchUpReport catchUp,
      Configuration hadoopConf)
      throws IOException {
    String path = writeFile(reportDir, run.runId(), "report.json", json(run, catchUp), hadoopConf);
    try {
      writeFile(
          reportDir,
          run.runId(),
          "report.html",
          HtmlReport.render(run, status, previous, catchUp),
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
    return json(run, CatchUpReport.none());
  }

  /** report.json's text, with each tenant's catch-up and cutover. */
  public static String json(RunResult run, CatchUpReport catchUp) {
    try {
      return JSON.writeValueAsString(toJson(run, catchUp));
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
    return toJson(run, CatchUpReport.none());
  }

  /**
   * report.json: the run, and under each tenant whose base copy catch-up continued its {@code
   * catch_up} and {@code cutover} sections ({@link #catchUpJson}, {@link #cutoverJson}).
   */
  public static ObjectNode toJson(RunResult run, CatchUpReport catchUp) {
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
      catchUp
          .tenant(t.tenantId())
          .ifPresent(
              c -> {
                catchUpJson(tn.putObject("catch_up"), c);
                c.lastCutover().ifPresent(last -> cutoverJson(tn.putObject("cutover"), c, last));
              });
      for (TableResult r : t.tables()) {
        ObjectNode rn = tables.addObject();
        rn.put("run_id", run.runId());
        rn.put("tenant_id", r.tenantId());
        rn.put("table_name", r.tableName());
        TableCounts counts = r.counts();
        rn.put("source_rows", counts.sourceRows());
        rn.put("extracted_rows", counts.extractedRows());
        rn.put("duplicates_removed", counts.duplicatesRemoved());
        rn.put("rejected_rows", counts.rejectedRows());
        rn.put("loaded_rows", counts.targetRows());
        OptionalLong previous = r.publication().previousRows();
        if (previous.isPresent()) {
          rn.put("previous_rows", previous.getAsLong());
        } else {
          rn.putNull("previous_rows");
        }
        rn.put("partitions", counts.partitions());
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

  /**
   * A tenant's {@code catch_up} section: its state, the changes applied per table (summed over its
   * passes), its passes (position, changes and the lag each left: lag over time) and the
   * shared-table deletes catch-up did not apply.
   */
  private static void catchUpJson(ObjectNode n, CatchUpReport.Tenant c) {
    c.state()
        .ifPresent(
            s -> {
              n.put("status", s.status());
              n.put("slot", s.slot());
              n.put("publication", s.publication());
              n.put("start_lsn", s.startLsn());
              n.put("applied_lsn", s.appliedLsn());
              n.put("applied_changes", s.appliedChanges());
              n.put("updated_at", s.updatedAt().toString());
              n.put("cut_over_at", s.cutOverAt().map(Object::toString).orElse(null));
            });
    ObjectNode applied = n.putObject("applied");
    for (CatchUpReport.Applied a : c.applied()) {
      appliedJson(applied.putObject(a.table()), a);
    }
    appliedJson(n.putObject("applied_total"), c.total());
    n.put("passes_recorded", c.passCount());
    ArrayNode passes = n.putArray("passes");
    for (CatchUpReport.Pass p : c.passes()) {
      ObjectNode pn = passes.addObject();
      pn.put("pass_id", p.passId());
      pn.put("command", p.command());
      pn.put("started_at", p.startedAt().toString());
      pn.put("finished_at", p.finishedAt().map(Object::toString).orElse(null));
      pn.put("from_lsn", p.fromLsn());
      pn.put("to_lsn", p.toLsn());
      pn.put("transactions", p.transactions());
      pn.put("changes", p.changes());
      if (p.lagBytes().isPresent()) {
        pn.put("lag_bytes", p.lagBytes().getAsLong());
      } else {
        pn.putNull("lag_bytes");
      }
      if (p.lag().isPresent()) {
        pn.put("lag_seconds", p.lag().get().toMillis() / 1000.0);
      } else {
        pn.putNull("lag_seconds");
      }
      pn.put("status", p.status());
      pn.put("message", p.message());
    }
    ObjectNode shared = n.putObject("shared_deletes_not_applied");
    shared.put("count", c.sharedDeleteCount());
    ArrayNode listed = shared.putArray("listed");
    for (CatchUpReport.SharedDelete d : c.sharedDeletes()) {
      ObjectNode dn = listed.addObject();
      dn.put("table", d.table());
      dn.put("kind", d.kind());
      dn.putRawValue("key", new com.fasterxml.jackson.databind.util.RawValue(d.keyJson()));
      dn.put("recorded_at", d.recordedAt().toString());
    }
  }

  private static void appliedJson(ObjectNode n, CatchUpReport.Applied a) {
    n.put("inserts", a.inserts());
    n.put("updates", a.updates());
    n.put("deletes", a.deletes());
    n.put("truncates", a.truncates());
    n.put("skipped", a.skipped());
  }

  /**
   * A tenant's {@code cutover} section: the latest cutover's verdict, freeze window, what differed
   * and the sequences moved, with every attempt under {@code attempts}.
   */
  private static void cutoverJson(
      ObjectNode n, CatchUpReport.Tenant c, CatchUpReport.Cutover last) {
    attemptJson(n, last);
    ArrayNode attempts = n.putArray("attempts");
    for (CatchUpReport.Cutover a : c.cutovers()) {
      attemptJson(attempts.addObject(), a);
    }
  }

  private static void attemptJson(ObjectNode n, CatchUpReport.Cutover a) {
    n.put("verdict", a.verdict());
    n.put("started_at", a.startedAt().toString());
    n.put("verdict_at", a.verdictAt().toString());
    n.put("freeze_seconds", a.freezeMillis() / 1000.0);
    n.put("frozen", a.frozen());
    n.put("keys_checked", a.keysChecked());
    n.putPOJO("differences", a.differences());
    n.putPOJO("sequences", a.sequences());
    n.put("message", a.message());
    if (a.drainPassId().isPresent()) {
      n.put("drain_pass_id", a.drainPassId().getAsLong());
    } else {
      n.putNull("drain_pass_id");
    }
  }
}
