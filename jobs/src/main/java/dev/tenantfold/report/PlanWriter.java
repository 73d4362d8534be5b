package dev.tenantfold.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.conform.CodePlan;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetSchema.Drift;
import dev.tenantfold.conform.TargetSchema.PlanError;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Renders a plan for people (the {@code plan} command's output) and as plan.json (stored with every
 * run). The JSON holds nothing that changes between two plannings of the same sources (no times, no
 * run id), so {@code plan_digest} equal in the approved plan and in a run's plan.json means the run
 * followed the plan that was approved.
 */
public final class PlanWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private PlanWriter() {}

  /** plan.json: {@code plan_digest}, the tables, the drift and the errors. */
  public static String json(TargetSchema plan) {
    ObjectNode content = content(plan);
    ObjectNode root = JSON.createObjectNode();
    root.put("plan_digest", digest(content));
    root.setAll(content);
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot render plan.json", e);
    }
  }

  /** The sha256 of the plan's content, the same for the same plan wherever it was computed. */
  public static String digest(TargetSchema plan) {
    return digest(content(plan));
  }

  private static ObjectNode content(TargetSchema plan) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode tables = root.putArray("tables");
    for (TargetTable table : plan.tables().values()) {
      ObjectNode t = tables.addObject();
      t.put("name", table.name());
      t.putPOJO("primary_key", table.primaryKey());
      ArrayNode columns = t.putArray("columns");
      for (ColumnSpec c : table.columns()) {
        ObjectNode cn = columns.addObject();
        cn.put("name", c.name());
        cn.put("type", typeOf(c));
        cn.put("not_null", c.notNull());
        if (c.domain() != null) {
          cn.put("domain", c.domain());
        }
        if (c.generatedExpression() != null) {
          cn.put("generated", c.generatedExpression());
        }
      }
      var objects = plan.objects(table.name());
      if (!objects.indexes().isEmpty() || !objects.checks().isEmpty()) {
        ArrayNode indexes = t.putArray("indexes");
        objects
            .indexes()
            .forEach(
                i ->
                    indexes.add(
                        (i.unique() ? "UNIQUE " : "")
                            + i.name()
                            + " "
                            + i.method()
                            + " "
                            + i.keys()
                            + (i.predicate() == null ? "" : " WHERE " + i.predicate())));
        ArrayNode checks = t.putArray("checks");
        objects.checks().forEach(c -> checks.add(c.name() + " " + c.definition()));
      }
      if (!objects.exclusions().isEmpty()) {
        ArrayNode exclusions = t.putArray("exclusions");
        objects
            .exclusions()
            .forEach(
                c ->
                    exclusions.add(
                        c.name() + " " + c.definition() + " (on each tenant's partition)"));
      }
      TableRule rule = plan.rule(table.name());
      if (!rule.columns().isEmpty()
          || rule.dedup().isPresent()
          || rule.maxRejectedRows() > 0
          || rule.shared().isPresent()) {
        ObjectNode r = t.putObject("rule");
        r.put("max_rejected_rows", rule.maxRejectedRows());
        if (rule.quarantineDuplicates()) {
          r.put("quarantine_duplicates", true);
        }
        rule.shared().ifPresent(sh -> r.put("shared_on_conflict", sh.describe()));
        rule.dedup()
            .ifPresent(
                d -> {
                  ObjectNode dn = r.putObject("dedup");
                  dn.put("exact", d.exact());
                  dn.putPOJO("key", d.key());
                  dn.putPOJO(
                      "keep",
                      d.keep().stream()
                          .map(k -> k.column() + (k.descending() ? " desc" : " asc"))
                          .toList());
                });
        ObjectNode cols = r.putObject("columns");
        rule.columns().values().stream()
            .sorted((a, b) -> a.column().compareTo(b.column()))
            .forEach(
                c -> {
                  ObjectNode cn = cols.putObject(c.column());
                  c.cast().ifPresent(v -> cn.put("cast", v));
                  c.defaultValue().ifPresent(v -> cn.put("default", v));
                  if (c.exclude()) {
                    cn.put("exclude", true);
                  }
                });
      }
    }
    ObjectNode enums = root.putObject("enums");
    plan.enums().values().stream()
        .sorted((a, b) -> a.name().compareTo(b.name()))
        .forEach(e -> enums.putPOJO(e.name(), e.labels()));
    ArrayNode drift = root.putArray("drift");
    for (Drift d : plan.drift()) {
      ObjectNode dn = drift.addObject();
      dn.put("table", d.table());
      dn.put("column", d.column());
      dn.put("kind", d.kind().name());
      dn.put("detail", d.detail());
    }
    ArrayNode code = root.putArray("code_objects");
    for (CodePlan.Entry entry : plan.code().entries(plan)) {
      ObjectNode cn = code.addObject();
      cn.put("kind", entry.kind());
      cn.put("name", entry.name());
      cn.putPOJO("tenants", entry.tenants());
      cn.put("outcome", entry.outcome().name());
      cn.put("detail", entry.detail());
    }
    ArrayNode errors = root.putArray("errors");
    for (PlanError e : plan.errors()) {
      ObjectNode en = errors.addObject();
      en.put("tenant_id", e.tenantId());
      en.put("table", e.table());
      en.put("column", e.column());
      en.put("message", e.message());
    }
    return root;
  }

  private static String digest(ObjectNode content) {
    try {
      byte[] bytes = JSON.writeValueAsString(content).getBytes(StandardCharsets.UTF_8);
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("Cannot digest the plan", e);
    }
  }

  private static String typeOf(ColumnSpec c) {
    return c.enumType() != null ? c.enumType() + (c.array() ? "[]" : "") : c.type();
  }

  /**
   * The plan as a person reads it: per table its columns and key, then the drift table (what
   * differs between tenants and what the plan does about it), then the errors and the verdict.
   * {@code unreadable} are tenants whose catalog could not be read at all.
   */
  public static void print(
      TargetSchema plan, List<String> tenants, Map<String, String> unreadable, PrintStream out) {
    out.printf(
        "Plan for %d tenants %s: %d tables (%s)%n",
        tenants.size(), tenants, plan.tables().size(), digest(plan));
    for (TargetTable table : plan.tables().values()) {
      out.println();
      out.printf(
          "Table %s  primary key: %s%n",
          table.name(),
          table.primaryKey().isEmpty()
              ? "(none)"
              : "tenant column, " + String.join(", ", table.primaryKey()));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"column", "type", "null"});
      for (ColumnSpec c : table.columns()) {
        rows.add(
            new String[] {
              c.name(),
              (c.domain() != null ? c.domain() + " (" + typeOf(c) + ")" : typeOf(c))
                  + (c.generatedExpression() != null
                      ? " generated as " + c.generatedExpression()
                      : ""),
              c.notNull() ? "NOT NULL" : "nullable"
            });
      }
      printTable(rows, out);
      var objects = plan.objects(table.name());
      objects
          .indexes()
          .forEach(
              i ->
                  out.printf(
                      "  %s %s on (%s%s)%n",
                      i.unique() ? "unique" : "index",
                      i.name(),
                      i.method().equals("btree") && !plan.rule(table.name()).shared().isPresent()
                          ? "tenant column, "
                          : "",
                      String.join(", ", i.keys())));
      objects.checks().forEach(c -> out.printf("  check %s %s%n", c.name(), c.definition()));
      objects
          .exclusions()
          .forEach(
              c ->
                  out.printf(
                      "  exclusion %s %s, on each tenant's partition%n", c.name(), c.definition()));
    }
    out.println();
    if (plan.drift().isEmpty()) {
      out.println("Drift: none (every tenant has the same tables, columns and types)");
    } else {
      out.println("Drift and rules:");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"table", "column", "what", "resolution"});
      for (Drift d : plan.drift()) {
        rows.add(
            new String[] {
              d.table(), d.column() == null ? "" : d.column(), label(d.kind()), d.detail()
            });
      }
      printTable(rows, out);
    }
    List<CodePlan.Entry> code = plan.code().entries(plan);
    if (!code.isEmpty()) {
      out.println();
      out.println("Functions, triggers and views:");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"object", "tenants", "recreated", "where / why not"});
      for (CodePlan.Entry e : code) {
        rows.add(
            new String[] {
              e.kind() + " " + e.name(),
              String.join(",", e.tenants()),
              e.recreated() ? "yes" : "NO",
              e.detail()
            });
      }
      printTable(rows, out);
    }
    List<String> problems = new ArrayList<>();
    unreadable.forEach((tenant, message) -> problems.add(message));
    plan.errors().forEach(e -> problems.add(e.message()));
    out.println();
    if (problems.isEmpty()) {
      out.println("Verdict: a run can proceed with this plan.");
    } else {
      out.printf("Errors (%d): these tenants would not publish%n", problems.size());
      problems.forEach(p -> out.println("  - " + p));
      out.println("Verdict: the plan has errors; fix them (or the rules) and plan again.");
    }
  }

  private static String label(Drift.Kind kind) {
    return switch (kind) {
      case TABLE_IN_SOME -> "table in some tenants";
      case COLUMN_IN_SOME -> "column in some tenants";
      case TYPE_WIDENED -> "types differ";
      case TARGET_WIDENED -> "target widened";
      case RULE -> "rule";
    };
  }

  private static void printTable(List<String[]> rows, PrintStream out) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns - 1; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
