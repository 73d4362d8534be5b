package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The tenants' {@code catch-up} block: defaults, derived names, and what it refuses. */
class CatchUpConfigTest {
  private static TenantConfig tenant(String id, String extra) {
    return TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                """
                tenantfold {
                  target { url = "jdbc:postgresql://t/w", user = u, password = p }
                  tenants = [ { id = "%s", jdbc { url = "jdbc:postgresql://h/%s" } %s } ]
                }
                """
                    .formatted(id, "db", extra)))
        .tenants()
        .get(0);
  }

  @Test
  void withoutABlockCatchUpIsOffAndNamesDeriveFromTheTenantId() {
    CatchUpConfig none = tenant("acme", "").catchUp();
    assertThat(none.mode()).isEqualTo(CatchUpConfig.Mode.NONE);
    assertThat(none.logical()).isFalse();
    assertThat(none.slot()).isEqualTo("tenantfold_acme");
    assertThat(none.publication()).isEqualTo("tenantfold_acme");
    assertThat(none.slotTimeout()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void logicalModeWithNamesAndTimeout() {
    CatchUpConfig c =
        tenant(
                "acme",
                ", catch-up { mode = logical, slot = acme_slot, publication = acme_pub,"
                    + " slot-timeout = 30s }")
            .catchUp();
    assertThat(c.logical()).isTrue();
    assertThat(c.slot()).isEqualTo("acme_slot");
    assertThat(c.publication()).isEqualTo("acme_pub");
    assertThat(c.slotTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void derivedNamesAreWhatPostgresAcceptsAndNeverShared() {
    String dashed = CatchUpConfig.defaultName("Acme-EU.1");
    String dotted = CatchUpConfig.defaultName("acme_eu_1");
    assertThat(dashed).matches("[a-z0-9_]{1,63}").startsWith("tenantfold_acme_eu_1_");
    assertThat(dotted).isEqualTo("tenantfold_acme_eu_1");
    assertThat(CatchUpConfig.defaultName("Acme-EU-1")).isNotEqualTo(dashed);
    assertThat(CatchUpConfig.defaultName("a".repeat(63))).hasSizeLessThanOrEqualTo(63);
  }

  @Test
  void unknownKeysBadModesAndBadNamesAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = logical, slots = x }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("catch-up.slots");
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = rows }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("catch-up.mode = 'rows' is not a catch-up mode")
        .hasMessageContaining("cursor (a cursor column and key comparison)");
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = logical, slot = \"Bad-Name\" }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("catch-up.slot = 'Bad-Name' is not a valid name")
        .hasMessageContaining("lower-case letters, digits and '_'");
  }

  @Test
  void freezeRolesAreAListOfRoleNamesForLogicalTenantsOnly() {
    assertThat(tenant("acme", ", catch-up { mode = logical }").catchUp().freezeRoles()).isEmpty();
    assertThat(
            tenant("acme", ", catch-up { mode = logical, freeze-roles = [acme_app, \"Acme Web\"] }")
                .catchUp()
                .freezeRoles())
        .containsExactly("acme_app", "Acme Web");
    assertThatThrownBy(() -> tenant("acme", ", catch-up { freeze-roles = [acme_app] }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("catch-up.freeze-roles")
        .hasMessageContaining("needs catch-up.mode = logical");
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = logical, freeze-roles = [a, a] }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("names role 'a' twice");
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = logical, freeze-roles = [\"\"] }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("1 to 63 characters");
  }

  @Test
  void logicalCatchUpOfARestoredCopyIsAcceptedAndOfAnExportWithoutCatalogRefused() {
    assertThat(
            tenant("acme", ", restore { source-instance = prod-db }, catch-up { mode = logical }")
                .catchUp()
                .logical())
        .isTrue();
    assertThatThrownBy(
            () ->
                TenantfoldConfig.fromConfig(
                    ConfigFactory.parseString(
                        """
                        tenantfold {
                          target { url = "jdbc:postgresql://t/w", user = u, password = p }
                          tenants = [ { id = acme, export { path = "s3a://b/p", database = acme },
                            catch-up { mode = logical } } ]
                        }
                        """)))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Cannot catch up tenant acme")
        .hasMessageContaining("tenantfold.tenants[0].export.catalog")
        .hasMessageContaining("or set mode = none");
    assertThat(
            TenantfoldConfig.fromConfig(
                    ConfigFactory.parseString(
                        """
                        tenantfold {
                          target { url = "jdbc:postgresql://t/w", user = u, password = p }
                          tenants = [ { id = acme, export { path = "s3a://b/p", database = acme,
                            catalog { url = "jdbc:postgresql://prod/acme", user = u } },
                            catch-up { mode = logical } } ]
                        }
                        """))
                .tenants()
                .get(0)
                .catchUp()
                .logical())
        .as("with export.catalog, the connection its changes stream from")
        .isTrue();
  }

  @Test
  void cursorModeWithItsColumnAndOverlapAsADurationOrANumber() {
    CatchUpConfig c =
        tenant("acme", ", catch-up { mode = cursor, cursor-column = updated_at }").catchUp();
    assertThat(c.cursor()).isTrue();
    assertThat(c.logical()).isFalse();
    assertThat(c.cursorColumn()).contains("updated_at");
    assertThat(c.cursorOverlap().forTime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.cursorOverlap().forNumber()).isEqualByComparingTo("0");
    CatchUpConfig timed =
        tenant("acme", ", catch-up { mode = cursor, cursor-overlap = 90s }").catchUp();
    assertThat(timed.cursorOverlap().forTime()).isEqualTo(Duration.ofSeconds(90));
    CatchUpConfig counted =
        tenant("acme", ", catch-up { mode = cursor, cursor-overlap = 1000 }").catchUp();
    assertThat(counted.cursorOverlap().forNumber()).isEqualByComparingTo("1000");
    assertThat(counted.cursorOverlap().time()).isEmpty();
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = logical, cursor-column = x }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("catch-up.cursor-column is for catch-up.mode = cursor");
    assertThatThrownBy(() -> tenant("acme", ", catch-up { mode = cursor, cursor-overlap = soon }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("catch-up.cursor-overlap as a duration");
  }

  @Test
  void cursorCatchUpOfAnExportIsRefusedWithWhatToDo() {
    assertThatThrownBy(
            () ->
                TenantfoldConfig.fromConfig(
                    ConfigFactory.parseString(
                        """
                        tenantfold {
                          target { url = "jdbc:postgresql://t/w", user = u, password = p }
                          tenants = [ { id = acme, export { path = "s3a://b/p", database = acme,
                            catalog { url = "jdbc:postgresql://prod/acme", user = u } },
                            catch-up { mode = cursor, cursor-column = updated_at } } ]
                        }
                        """)))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Cannot catch up tenant acme (tenantfold.tenants[0].catch-up.mode")
        .hasMessageContaining("the starting watermark must be read in the same data as the base")
        .hasMessageContaining("read the tenant through jdbc");
  }
}
