package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A block accepts exactly the keys declared in it and reads each through its declaration. */
class KeyBlockTest {
  private static ConfigReader block(String hocon) {
    return new ConfigReader(ConfigFactory.parseString(hocon), "tenantfold.x");
  }

  @Test
  void aBlockAcceptsItsDeclaredKeysAndReadsThemAsDeclared() {
    KeyBlock keys = new KeyBlock("tenantfold.x");
    ConfigKey<Duration> wait = keys.duration("wait");
    ConfigKey<Boolean> on = keys.bool("on");
    ConfigReader c = keys.checked(block("wait = 5s, on = true"));
    assertThat(c.get(wait)).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.get(on)).isTrue();
    assertThat(c.key(wait)).isEqualTo("tenantfold.x.wait");
  }

  @Test
  void anUndeclaredKeyIsRefusedNamingItsPathAndTheAllowedOnes() {
    KeyBlock keys = new KeyBlock("tenantfold.x");
    keys.duration("wait");
    assertThatThrownBy(() -> keys.checked(block("wiat = 5s")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Unknown config key tenantfold.x.wiat")
        .hasMessageContaining("[wait]");
  }

  @Test
  void aKeyDeclaredTwiceInOneBlockIsAProgrammingError() {
    KeyBlock keys = new KeyBlock("tenantfold.x");
    keys.bool("on");
    assertThatThrownBy(() -> keys.string("on")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aKeyRendersItsFullPathWithIndexesAndQuotedNames() {
    KeyBlock publish = new KeyBlock("tenantfold.publish");
    assertThat(publish.duration("lock-timeout").path())
        .isEqualTo("tenantfold.publish.lock-timeout");
    KeyBlock jdbc = new KeyBlock("tenantfold.tenants[].jdbc");
    ConfigKey<?> schemas = jdbc.stringList("schemas");
    assertThat(schemas.path(2)).isEqualTo("tenantfold.tenants[2].jdbc.schemas");
    assertThat(schemas.documented()).isEqualTo("tenants[].jdbc.schemas");
    KeyBlock column = new KeyBlock("tenantfold.rules.<table>.columns.<column>");
    ConfigKey<?> cast = column.string("cast");
    assertThat(cast.path("sales.orders", "total"))
        .isEqualTo("tenantfold.rules.\"sales.orders\".columns.total.cast");
    assertThat(cast.documented()).isEqualTo("rules.<table>.columns.<column>.cast");
    assertThat(column.path("orders", "total")).isEqualTo("tenantfold.rules.orders.columns.total");
    assertThat(new KeyBlock("tenantfold").string("tenant-column").documented())
        .isEqualTo("tenant-column");
  }

  @Test
  void aPathWithTheWrongSegmentsIsAProgrammingError() {
    ConfigKey<?> schemas = new KeyBlock("tenantfold.tenants[].jdbc").stringList("schemas");
    assertThatThrownBy(schemas::path).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> schemas.path("acme")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> schemas.path(1, 2)).isInstanceOf(IllegalArgumentException.class);
  }
}
