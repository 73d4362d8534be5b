package dev.tenantfold.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.tenantfold.config.ExportConfig;
import dev.tenantfold.config.SourceSpec;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.source.ExportTenantSource;
import dev.tenantfold.source.JdbcTenantSource;

/**
 * The package rules, checked on the main classes: data flows down (cli -> job -> stages -> jdbc),
 * never back up, and no two packages depend on each other (no cycles). The settings every stage
 * reads are parsed once in {@code config} (its records, such as {@code ValidateConfig} and {@code
 * ProgressConfig}, name no stage class), so stages depend on {@code config} and never the other
 * way. Only {@code source} and {@code config} name a source kind (the {@code SourceSpec} records,
 * {@code ExportTenantSource}, {@code JdbcTenantSource}) or asks which kind a source is ({@code
 * SourceSpec.restoredFrom()}, {@code TenantConfig.isExport()}, {@code export()}, {@code
 * restore()}). docs/tests.md lists the rules.
 */
@AnalyzeClasses(packages = "dev.tenantfold", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageRulesTest {
  private static final String[] STAGES = {
    "dev.tenantfold.source..",
    "dev.tenantfold.load..",
    "dev.tenantfold.extract..",
    "dev.tenantfold.conform..",
    "dev.tenantfold.validate..",
    "dev.tenantfold.report..",
    "dev.tenantfold.aws..",
    "dev.tenantfold.progress..",
    "dev.tenantfold.catchup..",
    "dev.tenantfold.config..",
    "dev.tenantfold.jdbc.."
  };

  private static final String[] STAGES_BUT_CONFIG_AND_JDBC = {
    "dev.tenantfold.source..",
    "dev.tenantfold.load..",
    "dev.tenantfold.extract..",
    "dev.tenantfold.conform..",
    "dev.tenantfold.validate..",
    "dev.tenantfold.report..",
    "dev.tenantfold.aws..",
    "dev.tenantfold.progress.."
  };

  @ArchTest
  static final ArchRule jdbcIsTheBottom =
      noClasses()
          .that()
          .resideInAPackage("dev.tenantfold.jdbc..")
          .should()
          .dependOnClassesThat()
          .resideOutsideOfPackages(
              "dev.tenantfold.jdbc..", "java..", "javax..", "org.postgresql..", "org.slf4j..")
          .because("jdbc holds the small helpers every stage uses; it knows no stage");

  @ArchTest
  static final ArchRule nothingCallsBackIntoTheCommandLine =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.tenantfold.cli..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.tenantfold.cli..")
          .because("the command line is the top: it calls the job, never the other way");

  @ArchTest
  static final ArchRule stagesNeverReachUpIntoTheJob =
      noClasses()
          .that()
          .resideInAnyPackage(STAGES)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.tenantfold.job..", "dev.tenantfold.cli..", "dev.tenantfold.demo..")
          .because("a stage gets what it needs passed down; the job composes the stages");

  @ArchTest
  static final ArchRule extractKnowsOnlyConfigAndJdbc =
      noClasses()
          .that()
          .resideInAPackage("dev.tenantfold.extract..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.tenantfold.conform..",
              "dev.tenantfold.load..",
              "dev.tenantfold.validate..",
              "dev.tenantfold.source..",
              "dev.tenantfold.report..",
              "dev.tenantfold.aws..",
              "dev.tenantfold.progress..")
          .because("extract reads sources; what the rows become is decided later");

  @ArchTest
  static final ArchRule conformDoesNotLoadOrValidate =
      noClasses()
          .that()
          .resideInAPackage("dev.tenantfold.conform..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.tenantfold.load..",
              "dev.tenantfold.validate..",
              "dev.tenantfold.source..",
              "dev.tenantfold.report..")
          .because("the plan is a value the load and validate stages read, not the other way");

  @ArchTest
  static final ArchRule loadDoesNotReachSourcesOrReports =
      noClasses()
          .that()
          .resideInAPackage("dev.tenantfold.load..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.tenantfold.source..", "dev.tenantfold.report..", "dev.tenantfold.validate..")
          .because(
              "the loader writes what it is given; sources hand it rows, the job records results");

  @ArchTest
  static final ArchRule onlyTheTopRunsTheJob =
      noClasses()
          .that()
          .resideOutsideOfPackages(
              "dev.tenantfold.job..", "dev.tenantfold.cli..", "dev.tenantfold.demo..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.tenantfold.job..")
          .because(
              "only the command line and the demo start jobs (and the benchmark, a module apart)");

  @ArchTest
  static final ArchRule packagesAreFreeOfCycles =
      slices()
          .matching("dev.tenantfold.(*)..")
          .should()
          .beFreeOfCycles()
          .because("a package that depends on one that depends on it cannot be understood alone");

  @ArchTest
  static final ArchRule onlySourceAndConfigNameSourceKinds =
      noClasses()
          .that()
          .resideOutsideOfPackages("dev.tenantfold.source..", "dev.tenantfold.config..")
          .should()
          .dependOnClassesThat()
          .belongToAnyOf(
              ExportTenantSource.class,
              JdbcTenantSource.class,
              SourceSpec.Jdbc.class,
              SourceSpec.Export.class,
              SourceSpec.RestoredCopy.class,
              ExportConfig.class)
          .orShould()
          .callMethod(TenantConfig.class, "isExport")
          .orShould()
          .callMethod(TenantConfig.class, "export")
          .orShould()
          .callMethod(SourceSpec.class, "restoredFrom")
          .because(
              "a source kind is a SourceSpec record in config and a TenantSource in source;"
                  + " everything else asks them what it needs (SourceSpec's questions,"
                  + " TenantSource's methods), so a new kind adds no branch elsewhere");

  @ArchTest
  static final ArchRule onlySourceConfigAndCatchUpReadTheRestoreBlock =
      noClasses()
          .that()
          .resideOutsideOfPackages(
              "dev.tenantfold.source..", "dev.tenantfold.config..", "dev.tenantfold.catchup..")
          .should()
          .callMethod(TenantConfig.class, "restore")
          .because(
              "a copy restored from backups is prepared, read and deleted behind"
                  + " source.SourcePreparations; catch-up checks only that its copy is restored"
                  + " after the slot (SourcePrerequisites)");

  @ArchTest
  static final ArchRule configNamesNoStage =
      noClasses()
          .that()
          .resideInAPackage("dev.tenantfold.config..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(STAGES_BUT_CONFIG_AND_JDBC)
          .because(
              "config parses the settings stages read; stages depend on it, not the other way");
}
