package dev.tenantfold.validate.checksum;

/**
 * PostgreSQL's {@code hash_bytes_extended} (Bob Jenkins' lookup3, {@code src/common/hashfn.c},
 * which {@code hashtextextended(text, seed)} applies to a text's bytes under a deterministic
 * collation), bit for bit as a little-endian server computes it: the checksum's row hash in Java
 * ({@link CanonicalRow.Hasher}) must equal the one {@link ChecksumSql} asks PostgreSQL for.
 *
 * <p>The words are read little-endian, as PostgreSQL does on x86-64 and ARM64 (Graviton, Aurora); a
 * big-endian server computes other values (docs/checksums.md). Written from the published
 * algorithm; {@code Lookup3Test} and {@code ChecksumEngineAgreementTest} prove it equal to the
 * server on every tail length and on random, non-ASCII and long texts.
 */
public final class Lookup3 {
  private Lookup3() {}

  /** {@code hash_bytes_extended(bytes[0..len), seed)}, as PostgreSQL's signed {@code int8}. */
  public static long hash(byte[] bytes, int len, long seed) {
    int init = 0x9e3779b9 + len + 3923095;
    int a = init;
    int b = init;
    int c = init;
    if (seed != 0) {
      a += (int) (seed >>> 32);
      b += (int) seed;
      // mix(a, b, c)
      a -= c;
      a ^= Integer.rotateLeft(c, 4);
      c += b;
      b -= a;
      b ^= Integer.rotateLeft(a, 6);
      a += c;
      c -= b;
      c ^= Integer.rotateLeft(b, 8);
      b += a;
      a -= c;
      a ^= Integer.rotateLeft(c, 16);
      c += b;
      b -= a;
      b ^= Integer.rotateLeft(a, 19);
      a += c;
      c -= b;
      c ^= Integer.rotateLeft(b, 4);
      b += a;
    }
    int k = 0;
    int left = len;
    while (left >= 12) {
      a += word(bytes, k);
      b += word(bytes, k + 4);
      c += word(bytes, k + 8);
      a -= c;
      a ^= Integer.rotateLeft(c, 4);
      c += b;
      b -= a;
      b ^= Integer.rotateLeft(a, 6);
      a += c;
      c -= b;
      c ^= Integer.rotateLeft(b, 8);
      b += a;
      a -= c;
      a ^= Integer.rotateLeft(c, 16);
      c += b;
      b -= a;
      b ^= Integer.rotateLeft(a, 19);
      a += c;
      c -= b;
      c ^= Integer.rotateLeft(b, 4);
      b += a;
      k += 12;
      left -= 12;
    }
    // The last 0..11 bytes, little-endian; the lowest byte of c is reserved for the length.
    switch (left) {
      case 11:
        c += (bytes[k + 10] & 0xff) << 24;
      // fall through
      case 10:
        c += (bytes[k + 9] & 0xff) << 16;
      // fall through
      case 9:
        c += (bytes[k + 8] & 0xff) << 8;
      // fall through
      case 8:
        b += (bytes[k + 7] & 0xff) << 24;
      // fall through
      case 7:
        b += (bytes[k + 6] & 0xff) << 16;
      // fall through
      case 6:
        b += (bytes[k + 5] & 0xff) << 8;
      // fall through
      case 5:
        b += bytes[k + 4] & 0xff;
      // fall through
      case 4:
        a += (bytes[k + 3] & 0xff) << 24;
      // fall through
      case 3:
        a += (bytes[k + 2] & 0xff) << 16;
      // fall through
      case 2:
        a += (bytes[k + 1] & 0xff) << 8;
      // fall through
      case 1:
        a += bytes[k] & 0xff;
      // fall through
      default:
        break;
    }
    // final(a, b, c)
    c ^= b;
    c -= Integer.rotateLeft(b, 14);
    a ^= c;
    a -= Integer.rotateLeft(c, 11);
    b ^= a;
    b -= Integer.rotateLeft(a, 25);
    c ^= b;
    c -= Integer.rotateLeft(b, 16);
    a ^= c;
    a -= Integer.rotateLeft(c, 4);
    b ^= a;
    b -= Integer.rotateLeft(a, 14);
    c ^= b;
    c -= Integer.rotateLeft(b, 24);
    return ((long) b << 32) | (c & 0xffffffffL);
  }

  private static int word(byte[] bytes, int at) {
    return (bytes[at] & 0xff)
        | (bytes[at + 1] & 0xff) << 8
        | (bytes[at + 2] & 0xff) << 16
        | (bytes[at + 3] & 0xff) << 24;
  }
}
