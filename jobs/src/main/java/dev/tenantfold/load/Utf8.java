package dev.tenantfold.load;

/**
 * UTF-8 as both COPY encoders write it ({@link CopyTextEncoder}, {@link CopyBinaryEncoder}): the
 * one owner of what PostgreSQL text cannot hold (NUL) and what is not valid UTF-8 (an unpaired
 * surrogate). Hand-written rather than {@code String.getBytes}: the encoders write into their own
 * buffer without a copy per value, and refuse what the JDK would replace with '?'.
 */
final class Utf8 {
  private Utf8() {}

  /** The refusal of U+0000, which no PostgreSQL text value can store. */
  static IllegalArgumentException nul() {
    return new IllegalArgumentException(
        "text contains U+0000 (NUL), which PostgreSQL text cannot store");
  }

  /**
   * Writes the non-ASCII UTF-16 unit at {@code i} of {@code s} (with the low surrogate after it
   * when it starts a pair) to {@code buf} at {@code len}, which has room for 4 bytes, and returns
   * the new length; the caller skips {@code s[i + 1]} after a surrogate ({@link
   * Character#isSurrogate}).
   */
  static int putNonAscii(CharSequence s, int i, byte[] buf, int len) {
    char c = s.charAt(i);
    if (c < 0x800) {
      buf[len++] = (byte) (0xC0 | (c >> 6));
      buf[len++] = (byte) (0x80 | (c & 0x3F));
    } else if (Character.isSurrogate(c)) {
      char low = i + 1 < s.length() ? s.charAt(i + 1) : 0;
      if (!Character.isHighSurrogate(c) || !Character.isLowSurrogate(low)) {
        throw new IllegalArgumentException(
            "text contains an unpaired UTF-16 surrogate at index "
                + i
                + ", which is not valid UTF-8");
      }
      int cp = Character.toCodePoint(c, low);
      buf[len++] = (byte) (0xF0 | (cp >> 18));
      buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
      buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
      buf[len++] = (byte) (0x80 | (cp & 0x3F));
    } else {
      buf[len++] = (byte) (0xE0 | (c >> 12));
      buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
      buf[len++] = (byte) (0x80 | (c & 0x3F));
    }
    return len;
  }
}
