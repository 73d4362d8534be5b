package dev.tenantfold.config;

import com.typesafe.config.ConfigUtil;

/**
 * One option of a config block, declared once ({@link KeyBlock}): where its block is, its name and
 * how its value is read (type and checks). The block accepts exactly its declared keys and values
 * are read through them ({@link ConfigReader#get}); each key's default is in reference.conf and its
 * documentation in docs/configuration.md, and ConfigurationDocTest fails when the declarations,
 * reference.conf and the document disagree. Messages outside {@code config} name a key through
 * {@link #path} so a renamed key cannot leave a stale message behind.
 *
 * @param block the path of the block, as docs/configuration.md writes it: {@code
 *     tenantfold.publish}, with {@code []} for a list item ({@code tenantfold.tenants[].jdbc}) and
 *     {@code <name>} for a block keyed by user-chosen names ({@code tenantfold.rules.<table>})
 */
public record ConfigKey<T>(String block, String name, Reading<T> reading) {
  /** The root every key lives under. */
  static final String ROOT = "tenantfold";

  /** How a key's value is read from its block: the type, and the checks that name the key. */
  @FunctionalInterface
  public interface Reading<T> {
    T read(ConfigReader block, String name);
  }

  /**
   * The key's full path, {@code tenantfold.publish.lock-timeout}; {@code segments} fill the block's
   * list indexes (an {@code Integer} each: {@code tenantfold.tenants[2].jdbc.schemas}) and names (a
   * {@code String} each, quoted where HOCON needs it: {@code
   * tenantfold.rules."sales.orders".exclude}), in order.
   */
  public String path(Object... segments) {
    return render(block, segments) + "." + name;
  }

  /**
   * The key as docs/configuration.md lists it, without the root: {@code publish.lock-timeout},
   * {@code tenants[].jdbc.schemas}, {@code rules.<table>.columns.<column>.cast}.
   */
  public String documented() {
    return (block.equals(ROOT) ? name : block.substring(ROOT.length() + 1) + "." + name);
  }

  /** {@code template} with each {@code []} and {@code <name>} filled by the next segment. */
  static String render(String template, Object... segments) {
    StringBuilder out = new StringBuilder();
    int next = 0;
    for (int i = 0; i < template.length(); i++) {
      char c = template.charAt(i);
      boolean index = template.startsWith("[]", i);
      if (!index && c != '<') {
        out.append(c);
        continue;
      }
      if (next >= segments.length) {
        throw new IllegalArgumentException(
            template + " needs more than " + segments.length + " path segments");
      }
      Object segment = segments[next++];
      if (index) {
        if (!(segment instanceof Integer item)) {
          throw new IllegalArgumentException(template + ": a list index, got " + segment);
        }
        out.append('[').append(item).append(']');
        i++;
      } else {
        if (!(segment instanceof String named)) {
          throw new IllegalArgumentException(template + ": a name, got " + segment);
        }
        out.append(ConfigUtil.joinPath(named));
        i = template.indexOf('>', i);
      }
    }
    if (next != segments.length) {
      throw new IllegalArgumentException(
          template + " takes " + next + " path segments, got " + segments.length);
    }
    return out.toString();
  }
}
