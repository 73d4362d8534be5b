package dev.tenantfold.validate;

/**
 * What a table's verdict rests on, as the command that checked the table gathered it: a copied
 * table's counts and checksums ({@link TableFacts}: {@code run}, {@code validate}), or the keys
 * changed since the base copy and the row count ({@link CutoverFacts}: {@code cutover}). {@link
 * TableVerifier} judges either; each {@link TableCheck} applies to one kind and says nothing of the
 * other.
 */
public sealed interface VerdictFacts permits TableFacts, CutoverFacts {}
