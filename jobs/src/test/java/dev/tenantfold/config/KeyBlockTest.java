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
    KeyBlock keys = new KeyBlock();
    ConfigKey<Duration> wait = keys.duration("wait");
    ConfigKey<Boolean> on = keys.bool("on");
    ConfigReader c = keys.checked(block("wait = 5s, on = true"));
    assertThat(c.get(wait)).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.get(on)).isTrue();
    assertThat(c.key(wait)).isEqualTo("tenantfold.x.wait");
  }

  @Test
  void anUndeclaredKeyIsRefusedNamingItsPathAndTheAllowedOnes() {
    KeyBlock keys = new KeyBlock();
    keys.duration("wait");
    assertThatThrownBy(() -> keys.checked(block("wiat = 5s")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Unknown config key tenantfold.x.wiat")
        .hasMessageContaining("[wait]");
  }

  @Test
  void aKeyDeclaredTwiceInOneBlockIsAProgrammingError() {
    KeyBlock keys = new KeyBlock();
    keys.bool("on");
    assertThatThrownBy(() -> keys.string("on")).isInstanceOf(IllegalStateException.class);
  }
}
