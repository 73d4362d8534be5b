package dev.tenantfold.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package rules of the developers' guide, checked on the main classes: data flows down (cli ->
 * job -> stages -> jdbc), never back up. Stage configurations live with their stage and are
 * gathered by {@code config.TenantfoldConfig}, so {@code config} may name a stage's config class
 * (validate, progress), but no stage reaches up into the job or the command line.
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
              "dev.tenantfold.job..",
              "dev.tenantfold.cli..",
              "dev.tenantfold.demo..",
              "dev.tenantfold.bench..")
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
              "dev.tenantfold.job..",
              "dev.tenantfold.cli..",
              "dev.tenantfold.demo..",
              "dev.tenantfold.bench..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.tenantfold.job..")
          .because("only the command line, the demo and the benchmark start jobs");
}
