package dev.tenantfold.config;

/**
 * One option of a config block, declared once ({@link KeyBlock}): its name and how its value is
 * read (type and checks). The block accepts exactly its declared keys and values are read through
 * them ({@link ConfigReader#get}); each key's default is in reference.conf and its documentation in
 * docs/configuration.md, and ConfigurationDocTest fails when the declarations, reference.conf and
 * the document disagree.
 */
public record ConfigKey<T>(String name, Reading<T> reading) {
  /** How a key's value is read from its block: the type, and the checks that name the key. */
  @FunctionalInterface
  public interface Reading<T> {
    T read(ConfigReader block, String name);
  }
}
