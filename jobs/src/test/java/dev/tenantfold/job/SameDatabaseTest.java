package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.SourceSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which tenants read one database, without a database. */
class SameDatabaseTest {
  @Test
  void oneDatabaseWrittenDifferentlyIsOneDatabase() {
    String one = SourceSpec.databaseOf("jdbc:postgresql://db.example.com/app");
    assertThat(one).isEqualTo("db.example.com:5432/app");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://DB.example.com:5432/app?ssl=true"))
        .isEqualTo(one);
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://localhost:5433/app"))
        .isEqualTo(SourceSpec.databaseOf("jdbc:postgresql://127.0.0.1:5433/app"));
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://db.example.com:5433/app"))
        .isNotEqualTo(one);
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://db.example.com/app2")).isNotEqualTo(one);
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://b:1,a:2/x"))
        .isEqualTo(SourceSpec.databaseOf("jdbc:postgresql://a:2,b:1/x"));
  }

  @Test
  void conflictsNameEveryTenantOfOneSource() {
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("a", "h:5432/x");
    sources.put("b", "h:5432/y");
    sources.put("c", "h:5432/x");
    assertThat(SameDatabase.conflicts(sources))
        .singleElement()
        .asString()
        .contains("tenants [a, c] all read h:5432/x");
    sources.remove("c");
    assertThat(SameDatabase.conflicts(sources)).isEmpty();
  }

  @Test
  void columnsApartOnlyByCaseAreNamed() {
    assertThat(SameDatabase.caseCollisions(java.util.List.of("id", "Name", "x", "name", "NAME")))
        .containsExactly("Name", "name", "NAME");
    assertThat(SameDatabase.caseCollisions(java.util.List.of("id", "name", "names"))).isEmpty();
  }

  @Test
  void shortAndUnusualUrls() {
    assertThat(SourceSpec.databaseOf("jdbc:postgresql:app")).isEqualTo("localhost:5432/app");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql:app?ssl=true"))
        .isEqualTo("localhost:5432/app");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://h")).isEqualTo("h:5432/");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://u:p@h:1/x")).isEqualTo("h:1/x");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://[::1]:5433/x"))
        .isEqualTo("localhost:5433/x");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql://:5433/x")).isEqualTo("localhost:5433/x");
    assertThat(SourceSpec.databaseOf("jdbc:postgresql:///x")).isEqualTo("localhost:5432/x");
  }
}
