package dev.tenantfold.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantfold.cluster.EmrDefinitions.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape AWS expects of every definition under {@code emr/} (RunJobFlow, AddJobFlowSteps as
 * {@code aws emr add-steps --steps file://}, Amazon States Language, EventBridge Scheduler
 * CreateSchedule, IAM policies), that the copies agree (the state machine runs exactly the steps
 * and the cluster of steps.json and cluster.json), that every placeholder is explained in
 * emr/README.md, and that no definition holds a secret or hands one to spark-submit. {@code
 * StandaloneClusterIT} runs the steps themselves.
 */
class EmrDefinitionsTest {
  private static final Set<String> ACTIONS_ON_FAILURE =
      Set.of("TERMINATE_JOB_FLOW", "TERMINATE_CLUSTER", "CANCEL_AND_WAIT", "CONTINUE");
  private static final Set<String> STATE_TYPES =
      Set.of("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map");
  private static final Set<String> COMMANDS = Set.of("plan", "run", "validate", "cleanup");
  private static final Pattern PLACEHOLDER = Pattern.compile("<([A-Z][A-Z0-9_]*)>");

  @Test
  void everyJsonFileParses() {
    List<Path> files = EmrDefinitions.jsonFiles();
    assertThat(files)
        .extracting(p -> EmrDefinitions.dir().relativize(p).toString().replace('\\', '/'))
        .contains(
            "cluster.json",
            "configurations.json",
            "steps.json",
            "state-machine.asl.json",
            "schedule.json",
            "catch-up-steps.json",
            "catch-up-schedule.json",
            "iam/instance-profile-policy.json",
            "iam/step-functions-policy.json",
            "iam/scheduler-policy.json");
    for (Path file : files) {
      assertThat(EmrDefinitions.read(file).isContainerNode())
          .as("%s is a JSON object or array", file)
          .isTrue();
    }
  }

  @Test
  void stepsRunTenantfoldCommandsThroughSparkSubmitInClusterMode() throws Exception {
    List<Step> steps = EmrDefinitions.steps();
    for (JsonNode s : EmrDefinitions.read("steps.json")) {
      String name = s.path("Name").asText();
      assertThat(s.path("Type").asText()).as("Type of %s", name).isEqualTo("CUSTOM_JAR");
      assertThat(s.path("Jar").asText()).as("Jar of %s", name).isEqualTo("command-runner.jar");
      assertThat(s.path("ActionOnFailure").asText())
          .as("ActionOnFailure of %s", name)
          .isIn(ACTIONS_ON_FAILURE);
      assertThat(s.path("Args").isArray()).as("Args of %s is a list", name).isTrue();
      s.path("Args")
          .forEach(
              a ->
                  assertThat(a.isTextual())
                      .as("every Arg of %s is a string: %s", name, a)
                      .isTrue());
    }
    assertThat(steps)
        .extracting(s -> s.tenantfoldArgs().get(0))
        .as("one step per CLI command")
        .containsExactly("plan", "run", "validate", "cleanup");
    for (Step step : steps) {
      assertThat(step.args().get(0))
          .as("%s runs spark-submit itself, nothing before it", step.name())
          .isEqualTo("spark-submit");
      assertThat(step.option("--class"))
          .as("main class of %s", step.name())
          .isEqualTo(EmrDefinitions.MAIN_CLASS);
      assertThat(Class.forName(step.option("--class"))).isNotNull();
      // run: cluster mode (the driver on a core node, YARN reports the job's end). plan, validate
      // and cleanup may start no
      // SparkContext, which YARN's ApplicationMaster requires in cluster mode ("User did not
      // initialize spark
      // context!", exit 13): they run in client mode on the primary node.
      assertThat(step.option("--deploy-mode"))
          .as("deploy mode of %s", step.name())
          .isEqualTo(step.tenantfoldArgs().get(0).equals("run") ? "cluster" : "client");
      assertThat(step.option("--master")).isEqualTo("yarn");
      assertThat(step.sparkSubmitArgs())
          .as("YARN must not start a second attempt (a second run)")
          .contains("spark.yarn.maxAppAttempts=1");
      List<String> cli = step.tenantfoldArgs();
      assertThat(cli.get(0)).isIn(COMMANDS);
      assertThat(cli)
          .as("%s reads its config from S3", step.name())
          .containsSequence("--config", "s3://<CONFIG_BUCKET>/tenantfold/job.conf");
      for (int i = 1; i < cli.size(); i++) {
        assertThat(cli.get(i))
            .as("option of %s", step.name())
            .isIn("--config", "s3://<CONFIG_BUCKET>/tenantfold/job.conf", "--dry-run");
      }
    }
    assertThat(steps.get(0).actionOnFailure())
        .as("a plan with errors cancels the run queued behind it")
        .isEqualTo("CANCEL_AND_WAIT");
    assertThat(steps.get(1).actionOnFailure())
        .as("a failed run cancels the validate and cleanup steps queued behind it")
        .isEqualTo("CANCEL_AND_WAIT");
  }

  /**
   * Passwords never reach a command line: no step argument (steps.json, the state machine) holds
   * one, fetches one or passes one through {@code --conf} (such as {@code
   * spark.yarn.appMasterEnv.PASSWORD=...}, visible in {@code ps} on the primary node and in YARN's
   * launch context). The driver and the executors read them from Secrets Manager themselves ({@code
   * password-secret} in the job's config, with the instance profile's credentials).
   */
  @Test
  void noStepOrStateMachineHoldsOrPassesAPassword() throws IOException {
    List<List<String>> argLists = new ArrayList<>();
    EmrDefinitions.steps().forEach(step -> argLists.add(step.args()));
    EmrDefinitions.read("state-machine.asl.json")
        .path("States")
        .forEach(
            state -> {
              List<String> args = new ArrayList<>();
              state
                  .path("Parameters")
                  .path("Step")
                  .path("HadoopJarStep")
                  .path("Args")
                  .forEach(a -> args.add(a.asText()));
              if (!args.isEmpty()) {
                argLists.add(args);
              }
            });
    assertThat(argLists).as("steps of steps.json and the state machine").hasSizeGreaterThan(4);
    Pattern secretWord =
        Pattern.compile("(?i)password|passwd|secret|token|credential|access.?key|secretsmanager");
    Pattern environment = Pattern.compile("(?i)appMasterEnv|executorEnv|driverEnv|[.]env[.]");
    for (List<String> args : argLists) {
      assertThat(args.get(0))
          .as("the step runs spark-submit directly: %s", args)
          .isEqualTo("spark-submit");
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        assertThat(secretWord.matcher(arg).find())
            .as("step argument <%s> names no password, secret or key", arg)
            .isFalse();
        assertThat(arg).as("step argument runs no command substitution").doesNotContain("$(", "`");
        if (arg.equals("--conf") && i + 1 < args.size()) {
          String conf = args.get(i + 1);
          assertThat(environment.matcher(conf).find())
              .as("--conf %s hands the driver or executors no environment variable", conf)
              .isFalse();
        }
      }
    }
    String machine = Files.readString(EmrDefinitions.dir().resolve("state-machine.asl.json"));
    assertThat(machine)
        .as("the state machine fetches no secret and sets no driver environment")
        .doesNotContain("get-secret-value", "appMasterEnv", "executorEnv");
  }

  @Test
  void clusterIsSpark4OnJava17WithTunedDefaultsAndLogsInS3() {
    JsonNode cluster = EmrDefinitions.read("cluster.json");
    for (String key :
        List.of(
            "Name",
            "ReleaseLabel",
            "Applications",
            "Instances",
            "LogUri",
            "ServiceRole",
            "JobFlowRole",
            "Configurations")) {
      assertThat(cluster.has(key)).as("cluster.json has %s", key).isTrue();
    }
    assertThat(cluster.path("ReleaseLabel").asText())
        .as("the EMR release with Spark 4.0.x, Scala 2.13, Java 17")
        .isEqualTo("emr-spark-8.0.0");
    assertThat(cluster.path("Applications").findValuesAsText("Name")).contains("Spark");
    assertThat(cluster.path("LogUri").asText()).startsWith("s3://");
    JsonNode instances = cluster.path("Instances");
    assertThat(instances.path("KeepJobFlowAliveWhenNoSteps").asBoolean())
        .as("the state machine adds steps after creation")
        .isTrue();
    List<String> roles = new ArrayList<>();
    for (JsonNode group : instances.path("InstanceGroups")) {
      roles.add(group.path("InstanceRole").asText());
      assertThat(group.path("InstanceType").asText()).isNotBlank();
      assertThat(group.path("InstanceCount").asInt()).isPositive();
      assertThat(group.path("Market").asText()).isIn("ON_DEMAND", "SPOT");
    }
    assertThat(roles)
        .containsOnlyOnce("MASTER")
        .contains("CORE")
        .allMatch(r -> Set.of("MASTER", "CORE", "TASK").contains(r));
    assertThat(cluster.path("Configurations"))
        .as("cluster.json carries configurations.json")
        .isEqualTo(EmrDefinitions.read("configurations.json"));

    Map<String, String> defaults = new java.util.HashMap<>();
    for (JsonNode c : EmrDefinitions.read("configurations.json")) {
      assertThat(c.path("Classification").asText()).isNotBlank();
      c.path("Properties")
          .fields()
          .forEachRemaining(
              e -> {
                assertThat(e.getValue().isTextual())
                    .as("property %s is a string", e.getKey())
                    .isTrue();
                if (c.path("Classification").asText().equals("spark-defaults")) {
                  defaults.put(e.getKey(), e.getValue().asText());
                }
              });
    }
    assertThat(defaults)
        .containsEntry("spark.dynamicAllocation.enabled", "false")
        .containsEntry("spark.yarn.maxAppAttempts", "1")
        .containsEntry("spark.speculation", "false")
        .containsKeys("spark.executor.instances", "spark.executor.cores", "spark.executor.memory");
    Pattern redaction = Pattern.compile(defaults.get("spark.redaction.regex"));
    for (String key :
        List.of(
            "spark.yarn.appMasterEnv.WAREHOUSE_PASSWORD",
            "spark.hadoop.fs.s3a.secret.key",
            "spark.hadoop.fs.s3a.access.key",
            "tenantfold.s3.access-key",
            "tenantfold.s3.secret-key",
            "spark.hadoop.fs.s3a.session.token")) {
      assertThat(redaction.matcher(key).find()).as("spark.redaction.regex covers %s", key).isTrue();
    }
  }

  @Test
  void stateMachineRunsTheStepsOnTheClusterAndAlwaysTerminatesIt() {
    JsonNode machine = EmrDefinitions.read("state-machine.asl.json");
    JsonNode states = machine.path("States");
    String start = machine.path("StartAt").asText();
    assertThat(states.has(start)).as("StartAt %s is a state", start).isTrue();
    Set<String> names = new TreeSet<>();
    states.fieldNames().forEachRemaining(names::add);
    for (String name : names) {
      JsonNode state = states.path(name);
      String type = state.path("Type").asText();
      assertThat(type).as("Type of %s", name).isIn(STATE_TYPES);
      for (String next : transitions(state)) {
        assertThat(names).as("transition from %s", name).contains(next);
      }
      boolean terminal =
          type.equals("Succeed") || type.equals("Fail") || state.path("End").asBoolean();
      assertThat(terminal || state.has("Next")).as("%s has Next or ends", name).isTrue();
      if (type.equals("Task")) {
        assertThat(state.path("Resource").asText())
            .as("Resource of %s", name)
            .startsWith("arn:aws:states:::");
      }
    }
    assertThat(reachable(states, start))
        .as("every state is reachable from %s", start)
        .isEqualTo(names);

    JsonNode create = states.path(start);
    assertThat(create.path("Resource").asText())
        .isEqualTo("arn:aws:states:::elasticmapreduce:createCluster.sync");
    assertThat(create.path("Parameters"))
        .as("the state machine creates exactly cluster.json")
        .isEqualTo(EmrDefinitions.read("cluster.json"));

    List<Step> steps = EmrDefinitions.steps();
    List<String> added = new ArrayList<>();
    for (String name : names) {
      JsonNode state = states.path(name);
      if (!state
          .path("Resource")
          .asText()
          .equals("arn:aws:states:::elasticmapreduce:addStep.sync")) {
        continue;
      }
      JsonNode step = state.path("Parameters").path("Step");
      added.add(step.path("Name").asText());
      assertThat(step.path("ActionOnFailure").asText()).isIn(ACTIONS_ON_FAILURE);
      Step defined =
          steps.stream()
              .filter(s -> s.name().equals(step.path("Name").asText()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          "state " + name + " adds a step steps.json lacks: " + step));
      List<String> args = new ArrayList<>();
      step.path("HadoopJarStep").path("Args").forEach(a -> args.add(a.asText()));
      assertThat(args)
          .as("state %s runs exactly the step of steps.json", name)
          .isEqualTo(defined.args());
      assertThat(step.path("HadoopJarStep").path("Jar").asText()).isEqualTo("command-runner.jar");
      assertThat(state.path("Parameters").path("ClusterId.$").asText())
          .isEqualTo("$.cluster.ClusterId");
      // On any failure the next state must terminate the cluster.
      JsonNode catchAll = state.path("Catch").get(0);
      assertThat(catchAll.path("ErrorEquals").toString()).contains("States.ALL");
      assertThat(states.path(catchAll.path("Next").asText()).path("Resource").asText())
          .as("a failed %s terminates the cluster", name)
          .isEqualTo("arn:aws:states:::elasticmapreduce:terminateCluster.sync");
    }
    assertThat(added).containsExactlyInAnyOrderElementsOf(steps.stream().map(Step::name).toList());
    long terminations =
        names.stream()
            .filter(n -> states.path(n).path("Resource").asText().endsWith("terminateCluster.sync"))
            .count();
    assertThat(terminations).as("terminate on success and on failure").isEqualTo(2);
  }

  /**
   * Catch-up on EMR: a long-running {@code catch-up --follow} step and one {@code cutover} step per
   * tenant beside it (the cluster's StepConcurrencyLevel must allow two steps at once, README), or,
   * instead of the follower, a schedule that adds a one-pass {@code catch-up} step every few
   * minutes. Same spark-submit shape as steps.json, client mode (no SparkContext), no secret.
   */
  @Test
  void catchUpStepsFollowBesideACutoverAndTheScheduleAddsOnePassSteps() throws Exception {
    List<List<String>> tenantfoldArgs = new ArrayList<>();
    for (JsonNode s : EmrDefinitions.read("catch-up-steps.json")) {
      Step step =
          stepOf(s.path("Name").asText(), s.path("ActionOnFailure").asText(), s.path("Args"));
      assertThat(s.path("Jar").asText()).isEqualTo("command-runner.jar");
      assertThat(step.actionOnFailure())
          .as("a stopped tenant must not cancel the other steps: %s", step.name())
          .isEqualTo("CONTINUE");
      assertCatchUpShape(step);
      tenantfoldArgs.add(step.tenantfoldArgs());
    }
    assertThat(tenantfoldArgs)
        .containsExactly(
            List.of("catch-up", "--config", "s3://<CONFIG_BUCKET>/tenantfold/job.conf", "--follow"),
            List.of(
                "cutover",
                "--config",
                "s3://<CONFIG_BUCKET>/tenantfold/job.conf",
                "--tenant",
                "<TENANT_ID>"));

    JsonNode schedule = EmrDefinitions.read("catch-up-schedule.json");
    assertThat(schedule.path("ScheduleExpression").asText()).matches("rate\\(\\d+ minutes?\\)");
    assertThat(schedule.path("Target").path("Arn").asText())
        .as("EventBridge Scheduler's universal target for EMR AddJobFlowSteps")
        .isEqualTo("arn:aws:scheduler:::aws-sdk:emr:addJobFlowSteps");
    JsonNode input = EmrDefinitions.JSON.readTree(schedule.path("Target").path("Input").asText());
    assertThat(input.path("JobFlowId").asText()).isEqualTo("<CLUSTER_ID>");
    assertThat(input.path("Steps")).hasSize(1);
    JsonNode added = input.path("Steps").get(0);
    Step once =
        stepOf(
            added.path("Name").asText(),
            added.path("ActionOnFailure").asText(),
            added.path("HadoopJarStep").path("Args"));
    assertCatchUpShape(once);
    assertThat(once.tenantfoldArgs())
        .as("one pass up to the source's position, then the step ends")
        .containsExactly("catch-up", "--config", "s3://<CONFIG_BUCKET>/tenantfold/job.conf");
    assertThat(EmrDefinitions.read("iam/scheduler-policy.json").toString())
        .contains("elasticmapreduce:AddJobFlowSteps", "cluster/<CLUSTER_ID>");
    assertThat(Files.readString(EmrDefinitions.dir().resolve("README.md")))
        .as("the README says how to let the cutover run beside the follower")
        .contains("--step-concurrency-level");
  }

  private static Step stepOf(String name, String actionOnFailure, JsonNode args) {
    List<String> list = new ArrayList<>();
    args.forEach(a -> list.add(a.asText()));
    return new Step(name, actionOnFailure, List.copyOf(list));
  }

  private static void assertCatchUpShape(Step step) {
    assertThat(step.args().get(0)).isEqualTo("spark-submit");
    assertThat(step.option("--class")).isEqualTo(EmrDefinitions.MAIN_CLASS);
    assertThat(step.option("--deploy-mode"))
        .as("deploy mode of %s", step.name())
        .isEqualTo("client");
    assertThat(step.sparkSubmitArgs()).contains("spark.yarn.maxAppAttempts=1");
    Pattern secretWord =
        Pattern.compile("(?i)password|passwd|secret|token|credential|access.?key|secretsmanager");
    for (String arg : step.args()) {
      assertThat(secretWord.matcher(arg).find()).as("argument <%s> names no secret", arg).isFalse();
    }
  }

  @Test
  void scheduleStartsTheStateMachine() throws Exception {
    JsonNode schedule = EmrDefinitions.read("schedule.json");
    assertThat(schedule.path("Name").asText()).matches("[0-9a-zA-Z-_.]{1,64}");
    assertThat(schedule.path("ScheduleExpression").asText()).matches("(cron|rate|at)\\(.+\\)");
    assertThat(schedule.path("FlexibleTimeWindow").path("Mode").asText()).isIn("OFF", "FLEXIBLE");
    assertThat(schedule.path("State").asText()).isIn("ENABLED", "DISABLED");
    assertThat(schedule.path("Target").path("Arn").asText())
        .startsWith("arn:aws:states:")
        .endsWith(":stateMachine:tenantfold");
    assertThat(schedule.path("Target").path("RoleArn").asText()).startsWith("arn:aws:iam::");
    assertThat(
            EmrDefinitions.JSON
                .readTree(schedule.path("Target").path("Input").asText("{}"))
                .isObject())
        .isTrue();
  }

  @Test
  void iamPoliciesAreWellFormed() {
    for (Path file : EmrDefinitions.jsonFiles()) {
      if (!file.getParent().getFileName().toString().equals("iam")) {
        continue;
      }
      JsonNode policy = EmrDefinitions.read(file);
      assertThat(policy.path("Version").asText()).as("%s Version", file).isEqualTo("2012-10-17");
      assertThat(policy.path("Statement").isArray() && policy.path("Statement").size() > 0)
          .isTrue();
      for (JsonNode st : policy.path("Statement")) {
        assertThat(st.path("Sid").asText()).as("Sid in %s", file).matches("[A-Za-z0-9]+");
        assertThat(st.path("Effect").asText()).isIn("Allow", "Deny");
        assertThat(st.path("Action").size())
            .as("%s of %s has actions", st.path("Sid"), file)
            .isPositive();
        assertThat(st.has("Resource")).isTrue();
        assertThat(st.path("Action").toString())
            .as("least privilege: no wildcard action in %s", file)
            .doesNotContain(":*\"", "\"*\"");
      }
    }
  }

  @Test
  void everyPlaceholderIsExplainedAndNoSecretIsWrittenDown() throws IOException {
    String readme = Files.readString(EmrDefinitions.dir().resolve("README.md"));
    Set<String> used = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(EmrDefinitions.dir())) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(p -> !p.getFileName().toString().equals("README.md"))
              .toList();
    }
    Pattern secretLike =
        Pattern.compile(
            "(?i)(password|secret[-_]?key|access[-_]?key)\\s*[=:]\\s*[\"']?[^\\s\"'$<]{4,}");
    for (Path file : files) {
      String text = Files.readString(file);
      Matcher m = PLACEHOLDER.matcher(text);
      while (m.find()) {
        used.add(m.group(1));
      }
      assertThat(secretLike.matcher(text).find()).as("%s holds no password or key", file).isFalse();
    }
    assertThat(used).as("placeholders").isNotEmpty();
    for (String placeholder : used) {
      assertThat(readme)
          .as("emr/README.md explains <%s>", placeholder)
          .contains("`<" + placeholder + ">`");
    }
  }

  @Test
  void submitScriptIsValidBash() throws Exception {
    Process bash =
        new ProcessBuilder("bash", "-n", EmrDefinitions.dir().resolve("submit.sh").toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(bash.getInputStream().readAllBytes());
    assertThat(bash.waitFor()).as("bash -n emr/submit.sh: %s", output).isZero();
  }

  private static List<String> transitions(JsonNode state) {
    List<String> out = new ArrayList<>();
    if (state.has("Next")) {
      out.add(state.path("Next").asText());
    }
    if (state.has("Default")) {
      out.add(state.path("Default").asText());
    }
    for (String list : List.of("Catch", "Choices")) {
      state
          .path(list)
          .forEach(
              c -> {
                if (c.has("Next")) {
                  out.add(c.path("Next").asText());
                }
              });
    }
    return out;
  }

  private static Set<String> reachable(JsonNode states, String start) {
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(start));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (seen.add(name)) {
        todo.addAll(transitions(states.path(name)));
      }
    }
    return new TreeSet<>(seen);
  }
}
