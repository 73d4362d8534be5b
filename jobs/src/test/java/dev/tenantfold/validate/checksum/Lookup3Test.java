package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.Postgres13;
import dev.tenantfold.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Lookup3} is PostgreSQL's {@code hashtextextended} bit for bit: a corpus of texts (every
 * length 0..64, so every tail case of lookup3 and one to five full blocks, in ASCII and in 2-, 3-
 * and 4-byte UTF-8; U+FFFF and U+FFFE; random and long texts) hashed with several seeds by the
 * server and by Java, on the oldest source version (13) and on the test server (16).
 */
class Lookup3Test {
  private static final long[] SEEDS = {
    0,
    1,
    -1,
    CanonicalRow.SEED,
    0x6c64436865636b32L,
    Long.MIN_VALUE,
    Long.MAX_VALUE,
    0xffffffffL,
    1L << 32,
    0x123456789abcdef0L
  };

  @Test
  void javaHashesTheCorpusAsPostgres16Does() throws Exception {
    assertAgrees(TestPostgres.createDatabase("lookup3"), "PostgreSQL 16");
  }

  @Test
  void javaHashesTheCorpusAsPostgres13Does() throws Exception {
    assertAgrees(Postgres13.createDatabase("lookup3"), "PostgreSQL 13");
  }

  /**
   * Values PostgreSQL 15 computed ({@code SELECT hashtextextended('a' COLLATE "C", 0)}), so the
   * port and the seeds are pinned without a server too.
   */
  @Test
  void knownValues() {
    assertThat(CanonicalRow.hash64("", 0)).isEqualTo(-6939563903564495251L);
    assertThat(CanonicalRow.hash64("a", 0)).isEqualTo(3591986179850072241L);
    assertThat(CanonicalRow.hash64("\uFFFF\uFFFE", CanonicalRow.SEED))
        .isEqualTo(-3848305908138273311L);
    assertThat(CanonicalRow.hash64("twelve bytes", 0x6c64436865636b32L))
        .isEqualTo(2319253049860223029L);
  }

  private static void assertAgrees(String url, String server) throws Exception {
    List<String> texts = corpus();
    try (Connection conn = TestPostgres.connect(url);
        PreparedStatement ps =
            conn.prepareStatement(
                "SELECT o, hashtextextended(t COLLATE \"C\", ?)"
                    + " FROM unnest(?::text[]) WITH ORDINALITY u(t, o) ORDER BY o")) {
      Array array = conn.createArrayOf("text", texts.toArray());
      int compared = 0;
      for (long seed : SEEDS) {
        ps.setLong(1, seed);
        ps.setArray(2, array);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String text = texts.get(rs.getInt(1) - 1);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            assertThat(Lookup3.hash(bytes, bytes.length, seed))
                .as(
                    "%s: hash of %d bytes %s with seed %d",
                    server,
                    bytes.length,
                    bytes.length > 40 ? "" : java.util.HexFormat.of().formatHex(bytes),
                    seed)
                .isEqualTo(rs.getLong(2));
            compared++;
          }
        }
      }
      assertThat(compared).as("hashes compared").isEqualTo(texts.size() * SEEDS.length);
    }
  }

  static List<String> corpus() {
    List<String> texts = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(23);
    String[] alphabets = {"abcxyz0129", "éüß", "東京\uFFFF\uFFFE", "🎉😀"};
    for (int length = 0; length <= 64; length++) {
      texts.add("x".repeat(length));
      for (String alphabet : alphabets) {
        // `length` characters, whatever their UTF-8 width, and `length` bytes of mixed widths.
        texts.add(randomText(random, alphabet, length));
      }
      texts.add(bytesLong(random, length));
    }
    texts.add("\uFFFF");
    texts.add("\uFFFE");
    texts.add("\uFFFF\uFFFE\uFFFFN");
    texts.add("a\u007f\u0080\u07ff\u0800\uFFFD");
    for (int i = 0; i < 300; i++) {
      texts.add(randomText(random, null, random.nextInt(200)));
    }
    texts.add("x".repeat(100_000) + "é".repeat(1000));
    texts.add(randomText(random, null, 70_001));
    return texts;
  }

  /** Exactly {@code bytes} UTF-8 bytes of mixed widths. */
  private static String bytesLong(SplittableRandom random, int bytes) {
    StringBuilder out = new StringBuilder();
    int left = bytes;
    while (left > 0) {
      int width = 1 + random.nextInt(Math.min(left, 4));
      out.append(
          switch (width) {
            case 1 -> "q";
            case 2 -> "ß";
            case 3 -> "\uFFFF";
            default -> "🎉";
          });
      left -= width;
    }
    return out.toString();
  }

  /** Characters from {@code alphabet}, or any valid code point but NUL when null. */
  private static String randomText(SplittableRandom random, String alphabet, int length) {
    StringBuilder out = new StringBuilder();
    int[] points = alphabet == null ? null : alphabet.codePoints().toArray();
    for (int i = 0; i < length; i++) {
      if (points != null) {
        out.appendCodePoint(points[random.nextInt(points.length)]);
        continue;
      }
      int cp;
      do {
        cp =
            switch (random.nextInt(4)) {
              case 0 -> 1 + random.nextInt(0x7f);
              case 1 -> 0x80 + random.nextInt(0x780);
              case 2 -> 0x800 + random.nextInt(0xF800);
              default -> 0x10000 + random.nextInt(0x100000);
            };
      } while (Character.isSurrogate((char) cp) && cp < 0x10000);
      out.appendCodePoint(cp);
    }
    return out.toString();
  }
}
