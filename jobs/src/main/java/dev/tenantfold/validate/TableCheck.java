package dev.tenantfold.validate;

import java.util.List;
import java.util.function.Function;

/**
 * One check of a table's facts: its findings (one per problem it sees, or a note), or none when it
 * has nothing to say or does not apply to the kind of facts. A new check is one implementation and
 * one entry in {@link TableVerifier#CHECKS}.
 */
@FunctionalInterface
public interface TableCheck {
  List<TableVerdict.Finding> check(VerdictFacts facts);

  /** {@code check} for facts of {@code kind}; nothing to say of any other kind. */
  static <F extends VerdictFacts> TableCheck on(
      Class<F> kind, Function<F, List<TableVerdict.Finding>> check) {
    return facts -> kind.isInstance(facts) ? check.apply(kind.cast(facts)) : List.of();
  }
}
