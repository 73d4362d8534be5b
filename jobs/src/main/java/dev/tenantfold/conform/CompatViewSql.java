package dev.tenantfold.conform;

import static dev.tenantfold.jdbc.SqlText.follows;
import static dev.tenantfold.jdbc.SqlText.qualifies;
import static dev.tenantfold.jdbc.SqlText.tokens;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.jdbc.SqlText.Token;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * A tenant's view definition made to read the tenant's compatibility schemas: the schema qualifiers
 * PostgreSQL printed ({@code pg_get_viewdef} with the tenant's schemas on the search path qualifies
 * a name only where it is shadowed or off the path: {@code sales.quotes}) are replaced by the
 * compatibility schema of that source schema ({@code tenant_acme_sales.quotes}). Unqualified names
 * need nothing: the views are created with the tenant's compatibility schemas on the search path in
 * the source order, so they resolve as in the source.
 *
 * <p>Only whole qualified names outside string literals, quoted-identifier parts and comments are
 * touched. A qualifier naming something the compatibility schemas do not hold (an enum type, {@code
 * 'draft'::sales.status}) becomes the source schema's target schema, where such types are
 * consolidated. The rewrite is refused (the view is not recreated, with the reason) where a
 * qualifier could also be a table alias: the definition names the schema on its own somewhere
 * ({@code FROM orders sales}), so {@code sales.quotes} might be an alias's column.
 */
public final class CompatViewSql {
  private CompatViewSql() {}

  /**
   * The definition to create, or why the rewrite would not be exact ({@code definition} null then).
   */
  public record Rewrite(String definition, String problem) {
    static Rewrite of(String definition) {
      return new Rewrite(definition, null);
    }

    static Rewrite inexact(String problem) {
      return new Rewrite(null, problem);
    }

    public boolean exact() {
      return problem == null;
    }
  }

  /**
   * What each mirrored source schema's compatibility schema holds for a tenant: the consolidated
   * tables of that schema, the tenant's views and the tenant's functions of it (by name).
   */
  public static Map<String, Set<String>> mirroredNames(
      TargetSchema plan, CodeObjects code, Collection<String> sourceSchemas) {
    Map<String, Set<String>> names = new LinkedHashMap<>();
    sourceSchemas.forEach(s -> names.put(s, new TreeSet<>()));
    for (String key : plan.tables().keySet()) {
      Set<String> in = names.get(SchemaMap.sourceSchemaOf(key));
      if (in != null) {
        in.add(SchemaMap.nameOf(key));
      }
    }
    for (CodeObjects.ViewSpec view : code.views()) {
      names.computeIfAbsent(view.schema(), s -> new TreeSet<>()).add(view.name());
    }
    for (CodeObjects.FunctionSpec function : code.functions()) {
      if (function.definition() != null) {
        String[] parts = splitQualified(function.qualifiedName());
        names.computeIfAbsent(parts[0], s -> new TreeSet<>()).add(parts[1]);
      }
    }
    return names;
  }

  /**
   * The source schemas a tenant's views and functions live in, with those of the consolidated
   * tables, each once: the compatibility schemas the plan expects the tenant to get.
   */
  public static Set<String> sourceSchemas(TargetSchema plan, CodeObjects code) {
    Set<String> out = new LinkedHashSet<>();
    out.add(SchemaMap.DEFAULT_SOURCE);
    plan.tables().keySet().forEach(k -> out.add(SchemaMap.sourceSchemaOf(k)));
    code.views().forEach(v -> out.add(v.schema()));
    code.functions().stream()
        .filter(f -> f.definition() != null)
        .forEach(f -> out.add(sourceSchemaOf(f)));
    return out;
  }

  /**
   * Rewrites {@code definition}'s qualifiers: a name {@code mirrored} holds under its source schema
   * to {@code compatOf} that schema (an unquoted name), any other name of a mirrored source schema
   * to {@code targetOf} it.
   */
  public static Rewrite rewrite(
      String definition,
      Map<String, Set<String>> mirrored,
      UnaryOperator<String> compatOf,
      UnaryOperator<String> targetOf) {
    List<Token> tokens = tokens(definition);
    StringBuilder out = new StringBuilder();
    int copied = 0;
    Set<String> qualifiers = new TreeSet<>();
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (!t.identifier() || !qualifies(tokens, i) || follows(tokens, i)) {
        continue;
      }
      Set<String> names = mirrored.get(t.value());
      if (names == null) {
        continue;
      }
      String schema =
          names.contains(tokens.get(i + 2).value())
              ? compatOf.apply(t.value())
              : targetOf.apply(t.value());
      if (schema.equals(t.value())) {
        continue;
      }
      qualifiers.add(t.value());
      out.append(definition, copied, t.start()).append(Sql.ident(schema));
      copied = t.end();
    }
    out.append(definition.substring(copied));
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.identifier()
          && qualifiers.contains(t.value())
          && !qualifies(tokens, i)
          && !follows(tokens, i)
          && !calls(tokens, i)
          && !(i > 0
              && tokens.get(i - 1).identifier()
              && tokens.get(i - 1).text().equalsIgnoreCase("as"))) {
        return Rewrite.inexact(
            "it names "
                + t.value()
                + " both as a schema and on its own (an alias or column of that name?), so its"
                + " qualified names cannot be told apart from an alias's columns; rename the alias"
                + " in the source or recreate the view by hand");
      }
    }
    return Rewrite.of(out.toString());
  }

  /** The source schema {@code function} is defined in. */
  public static String sourceSchemaOf(CodeObjects.FunctionSpec function) {
    return splitQualified(function.qualifiedName())[0];
  }

  /**
   * {@code quote_ident(schema) || '.' || quote_ident(name)} split back into its two unquoted parts.
   */
  static String[] splitQualified(String qualifiedName) {
    List<Token> tokens = tokens(qualifiedName);
    if (tokens.size() == 3
        && tokens.get(0).identifier()
        && tokens.get(1).text().equals(".")
        && tokens.get(2).identifier()) {
      return new String[] {tokens.get(0).value(), tokens.get(2).value()};
    }
    return new String[] {SchemaMap.DEFAULT_SOURCE, qualifiedName};
  }

  /** Token {@code i} is a function name: {@code (} follows. */
  private static boolean calls(List<Token> tokens, int i) {
    return i + 1 < tokens.size() && tokens.get(i + 1).text().equals("(");
  }
}
