package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** publish.max-shrink, publish.outcome-wait and publish.allow-same-database as read. */
class JobOptionsTest {
  private static JobOptions read(String publish) {
    return JobOptions.from(
        new ConfigReader(
            ConfigFactory.parseString("publish { " + publish + " }")
                .withFallback(ConfigFactory.defaultReference().getConfig("tenantfold"))
                .resolve(),
            "tenantfold"));
  }

  @Test
  void defaultsAreHalfTwoMinutesAndNoSharedDatabase() {
    JobOptions o = read("");
    assertThat(o.maxShrink()).isEqualTo(0.5);
    assertThat(o.outcomeWait()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.allowSameDatabase()).isFalse();
  }

  @Test
  void maxShrinkIsAPercentageOrAFractionFromZeroToOne() {
    assertThat(read("max-shrink = \"25%\"").maxShrink()).isEqualTo(0.25);
    assertThat(read("max-shrink = 0.75").maxShrink()).isEqualTo(0.75);
    assertThat(read("max-shrink = \"0%\"").maxShrink()).isZero();
    assertThat(read("max-shrink = \"100 %\"").maxShrink()).isEqualTo(1.0);
    assertThat(read("max-shrink = 1").maxShrink()).isEqualTo(1.0);
    assertThat(read("allow-same-database = true, outcome-wait = 5s").allowSameDatabase()).isTrue();
    for (String bad : new String[] {"\"150%\"", "-0.1", "\"half\"", "1.5", "\"-1%\""}) {
      assertThatThrownBy(() -> read("max-shrink = " + bad))
          .as(bad)
          .isInstanceOf(ConfigError.class)
          .hasMessageContaining(
              "tenantfold.publish.max-shrink must be a percentage from 0% to 100%");
    }
  }
}
