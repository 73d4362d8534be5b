package dev.tenantfold.validate;

import java.util.Optional;

/**
 * One check of a table's facts: a finding, or nothing to say. A new check is one implementation and
 * one entry in {@link TableVerifier#CHECKS}.
 */
@FunctionalInterface
public interface TableCheck {
  Optional<TableVerdict.Finding> check(TableFacts facts);
}
