package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.CodePlan;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.SearchPath;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tenant's own code on the target: the functions its triggers and column defaults call, created
 * in the tenant's own schema as its role, {@code SECURITY DEFINER} with a pinned search path, so
 * they run with the tenant's rights and its role's policies whoever calls them; and its row
 * triggers, on its own partitions only.
 */
final class TenantCode {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetDdl.class);

  private final DdlContext ctx;
  private final SchemaMap schemas;
  private final String tenantColumn;

  /**
   * {@code target.compat-schema-prefix} when compatibility schemas are on: the tenant's functions
   * its trigger functions call are found there.
   */
  private final Optional<String> compatPrefix;

  TenantCode(DdlContext ctx, Optional<String> compatPrefix) {
    this.ctx = ctx;
    this.schemas = ctx.schemas;
    this.tenantColumn = ctx.tenantColumn;
    this.compatPrefix = compatPrefix;
  }

  /**
   * The quoted name of {@code function} in the tenant's own schema {@code role}: its own name for a
   * function of public, else prefixed by its source schema ({@code sales__shout}), so functions of
   * one name in two schemas stay two.
   */
  private static String tenantFunction(String role, CodeObjects.FunctionSpec function) {
    String name =
        SchemaMap.DEFAULT_SOURCE.equals(function.sourceSchema())
            ? function.bareName()
            : Sql.boundedName(function.sourceSchema() + "__" + function.bareName());
    return ident(role) + "." + ident(name);
  }

  /**
   * Recreates {@code tenantId}'s row triggers on its partition {@code partition} of {@code table},
   * each with its own definition ({@link CodePlan#triggers}): the functions they execute are
   * created in the tenant's own schema (its role's name) as its role, {@code SECURITY DEFINER} with
   * the replay search path pinned, so they run with the tenant's rights and its role's policies,
   * whoever fires them. A trigger already on the partition (by name) is left alone (its function is
   * replaced); one the target cannot create is skipped, named in {@link TargetDdl#skipped()}.
   */
  void installTriggers(
      Statement st, TargetSchema target, String table, String tenantId, String partition)
      throws SQLException {
    Connection conn = st.getConnection();
    String role = TenantRoles.role(tenantId);
    String path = path(target, tenantId);
    CodePlan.TableTriggers code = target.code().triggers(target, table, tenantId);
    String parent = schemas.relation(table);
    for (CodeObjects.FunctionSpec function : code.functions()) {
      createFunction(
          st,
          role,
          function,
          path,
          "function " + function.signature() + " of tenant " + tenantId + " for its triggers");
    }
    for (CodeObjects.TriggerSpec trigger : code.triggers()) {
      if (Queries.exists(
          conn,
          "SELECT 1 FROM pg_trigger WHERE tgrelid = ?::regclass AND tgname = ?",
          partition,
          trigger.name())) {
        continue;
      }
      String function =
          trigger.builtInFunction()
              ? trigger.function().substring(0, trigger.function().indexOf('('))
              : code.functions().stream()
                  .filter(f -> f.signature().equals(trigger.function()))
                  .findFirst()
                  .map(f -> tenantFunction(role, f))
                  .orElseThrow();
      Optional<String> sql = trigger.definitionOn(partition, function);
      if (sql.isEmpty()) {
        ctx.skip(
            "trigger "
                + trigger.name()
                + " of tenant "
                + tenantId
                + " on "
                + parent
                + " (its definition does not parse: "
                + trigger.definition()
                + ")");
        continue;
      }
      ctx.tryDdl(
          st,
          "SET LOCAL search_path TO " + path + "; " + schemas.requalify(sql.get()),
          "trigger " + trigger.name() + " of tenant " + tenantId + " on " + partition);
    }
  }

  /**
   * The search path a tenant's own functions (of its triggers and defaults) run with, pinned: its
   * compatibility schemas first when they are on (its own functions and its rows' views, names as
   * in the source), then the target schemas, then {@code pg_temp} (a caller's temporary objects
   * never shadow its names).
   */
  String path(TargetSchema target, String tenantId) {
    List<String> path = new ArrayList<>();
    compatPrefix.ifPresent(
        p ->
            target
                .code()
                .searchPath()
                .forEach(
                    s -> path.add(dev.tenantfold.config.CompatSchemaNames.of(p, tenantId, s))));
    ctx.replayPath(target).stream().filter(s -> !path.contains(s)).forEach(path::add);
    return SearchPath.of(path) + ", pg_temp";
  }

  /**
   * Creates (or replaces) {@code function} in the tenant's own schema (its role's name, {@link
   * #tenantFunction}) as its role, {@code SECURITY DEFINER} with {@code path} pinned: it runs with
   * the tenant's rights and its role's policies, whoever calls it. One the target cannot create is
   * skipped, named in {@link TargetDdl#skipped()}.
   */
  void createFunction(
      Statement st, String role, CodeObjects.FunctionSpec function, String path, String what)
      throws SQLException {
    st.execute("SAVEPOINT tenantfold_object");
    try {
      st.execute("SET LOCAL ROLE " + ident(role));
      st.execute("SET LOCAL search_path TO " + path);
      st.execute("SET LOCAL check_function_bodies = off");
      st.execute(schemas.requalify(function.definitionAs(tenantFunction(role, function))));
      st.execute(
          "ALTER FUNCTION "
              + tenantFunction(role, function)
              + function.signature().substring(function.signature().indexOf('('))
              + " SECURITY DEFINER SET search_path = "
              + path);
      st.execute("SET LOCAL ROLE NONE");
      st.execute("RELEASE SAVEPOINT tenantfold_object");
    } catch (SQLException e) {
      st.execute("ROLLBACK TO SAVEPOINT tenantfold_object");
      LOG.warn("Cannot recreate {}: {}", what, ctx.reason(e));
      ctx.skip(what + " (" + ctx.reason(e) + ")");
    }
  }

  /**
   * {@code expression} (a default, requalified) with every call of one of {@code functions} naming
   * the copy in its tenant's own schema instead ({@code local_code()}, {@code sales.quote_ref()} ->
   * {@code "tenantfold_tenant_acme".local_code()}); the expression unchanged when it calls none.
   */
  static String rewriteCalls(String expression, List<CodePlan.DefaultCode> functions) {
    String out = expression;
    for (CodePlan.DefaultCode code : functions) {
      CodeObjects.FunctionSpec f = code.function();
      String bare = java.util.regex.Pattern.quote(f.bareName());
      String quotedBare = java.util.regex.Pattern.quote(ident(f.bareName()));
      String qualifier = "(?:(?:\\\"[^\\\"]+\\\"|[A-Za-z_][A-Za-z_0-9$]*)\\.)?";
      out =
          out.replaceAll(
              "(?<![A-Za-z_0-9$.\\\"])" + qualifier + "(?:" + quotedBare + "|" + bare + ")\\(",
              java.util.regex.Matcher.quoteReplacement(
                  tenantFunction(TenantRoles.role(code.tenantId()), f) + "("));
    }
    return out;
  }
}
