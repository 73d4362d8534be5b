package dev.tenantfold.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The RDS Query API (XML) and Secrets Manager (JSON) as recorded responses served by WireMock on
 * loopback, for the real SDK clients with {@code endpointOverride}. Static fake credentials and a
 * region come from system properties (the SDK's default chains read them first): no test needs AWS.
 */
public final class AwsApi implements AutoCloseable {
  public static final String REGION = "eu-west-1";
  private static final String NS = "http://rds.amazonaws.com/doc/2014-10-31/";
  private final WireMockServer server;

  static {
    System.setProperty("aws.accessKeyId", "AKIDTENANTFOLDTEST");
    System.setProperty("aws.secretAccessKey", "tenantfold-test-secret-key");
    System.setProperty("aws.region", REGION);
  }

  public AwsApi() {
    server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    server.start();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.port();
  }

  public WireMockServer server() {
    return server;
  }

  /**
   * Answers {@code action} requests whose form body contains every {@code param=value} with {@code
   * resultXml}.
   */
  public void rds(String action, String resultXml, String... params) {
    var request = post(urlEqualTo("/")).withRequestBody(containing("Action=" + action));
    for (String p : params) {
      request = request.withRequestBody(containing(p));
    }
    server.stubFor(
        request.willReturn(
            aResponse()
                .withStatus(200)
                .withHeader("Content-Type", "text/xml")
                .withBody(response(action, resultXml))));
  }

  /**
   * {@code action} fails with {@code code} {@code failures} times, then answers {@code resultXml}.
   */
  public void rdsFailingFirst(
      String action, String code, int status, int failures, String resultXml) {
    String scenario = action + "-" + code;
    for (int i = 0; i < failures; i++) {
      server.stubFor(
          post(urlEqualTo("/"))
              .withRequestBody(containing("Action=" + action))
              .inScenario(scenario)
              .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "failed-" + i)
              .willSetStateTo("failed-" + (i + 1))
              .willReturn(
                  aResponse()
                      .withStatus(status)
                      .withHeader("Content-Type", "text/xml")
                      .withBody(error(code, "Rate exceeded"))));
    }
    server.stubFor(
        post(urlEqualTo("/"))
            .withRequestBody(containing("Action=" + action))
            .inScenario(scenario)
            .whenScenarioStateIs("failed-" + failures)
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "text/xml")
                    .withBody(response(action, resultXml))));
  }

  /** Successive {@code action} requests get successive results; the last repeats. */
  public void rdsSequence(String action, List<String> results, String... params) {
    String scenario = action + "-sequence-" + System.nanoTime();
    for (int i = 0; i < results.size(); i++) {
      var request = post(urlEqualTo("/")).withRequestBody(containing("Action=" + action));
      for (String p : params) {
        request = request.withRequestBody(containing(p));
      }
      var step =
          request.inScenario(scenario).whenScenarioStateIs(i == 0 ? Scenario.STARTED : "step-" + i);
      if (i < results.size() - 1) {
        step = step.willSetStateTo("step-" + (i + 1));
      }
      server.stubFor(
          step.willReturn(
              aResponse()
                  .withStatus(200)
                  .withHeader("Content-Type", "text/xml")
                  .withBody(response(action, results.get(i)))));
    }
  }

  /**
   * Answers {@code action} requests containing every {@code param=value} with {@code resultXml}
   * while scenario {@code scenario} is in {@code state} ({@link Scenario#STARTED} at first); the
   * test moves it on with {@code server().setScenarioState}.
   */
  public void rdsInState(
      String action, String scenario, String state, String resultXml, String... params) {
    var request = post(urlEqualTo("/")).withRequestBody(containing("Action=" + action));
    for (String p : params) {
      request = request.withRequestBody(containing(p));
    }
    server.stubFor(
        request
            .inScenario(scenario)
            .whenScenarioStateIs(state)
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "text/xml")
                    .withBody(response(action, resultXml))));
  }

  public void rdsError(String action, String code, int status, String message) {
    server.stubFor(
        post(urlEqualTo("/"))
            .withRequestBody(containing("Action=" + action))
            .willReturn(
                aResponse()
                    .withStatus(status)
                    .withHeader("Content-Type", "text/xml")
                    .withBody(error(code, message))));
  }

  /** GetSecretValue of {@code arn} answers a JSON secret string. */
  public void secret(String arn, String secretJson) {
    String body =
        "{\"ARN\":\""
            + arn
            + "\",\"Name\":\"tenant-db\",\"VersionId\":\"v1\",\"SecretString\":"
            + jsonString(secretJson)
            + ",\"VersionStages\":[\"AWSCURRENT\"],\"CreatedDate\":1.7E9}";
    server.stubFor(
        post(urlEqualTo("/"))
            .withHeader("X-Amz-Target", equalTo("secretsmanager.GetSecretValue"))
            .withRequestBody(containing(arn))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "application/x-amz-json-1.1")
                    .withBody(body)));
  }

  /** The form parameters of every RDS request with {@code action}, in order. */
  public List<Map<String, String>> requests(String action) {
    return server.getAllServeEvents().stream()
        .map(e -> e.getRequest())
        .filter(
            r ->
                r.getBodyAsString().contains("Action=" + action + "&")
                    || r.getBodyAsString().endsWith("Action=" + action))
        .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
        .map(r -> form(r.getBodyAsString()))
        .toList();
  }

  public List<LoggedRequest> all() {
    return server.getAllServeEvents().stream().map(e -> e.getRequest()).toList();
  }

  private static Map<String, String> form(String body) {
    return java.util.Arrays.stream(body.split("&"))
        .map(kv -> kv.split("=", 2))
        .collect(
            Collectors.toMap(
                kv -> URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                kv -> kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "",
                (a, b) -> b,
                java.util.LinkedHashMap::new));
  }

  private static String response(String action, String resultXml) {
    return "<"
        + action
        + "Response xmlns=\""
        + NS
        + "\"><"
        + action
        + "Result>"
        + resultXml
        + "</"
        + action
        + "Result>"
        + "<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></"
        + action
        + "Response>";
  }

  private static String error(String code, String message) {
    return "<ErrorResponse xmlns=\""
        + NS
        + "\"><Error><Type>Sender</Type><Code>"
        + code
        + "</Code><Message>"
        + message
        + "</Message></Error><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ErrorResponse>";
  }

  /** A recorded {@code <DBInstance>}: status, endpoint (when given) and tags. */
  public static String instance(
      String id, String status, String host, int port, Map<String, String> tags) {
    StringBuilder xml =
        new StringBuilder(
            "<DBInstance><DBInstanceIdentifier>"
                + id
                + "</DBInstanceIdentifier><DBInstanceStatus>"
                + status
                + "</DBInstanceStatus><Engine>postgres</Engine><DBName>app</DBName><LatestRestorableTime>2026-11-29T14:55:00Z</LatestRestorableTime>");
    if (host != null) {
      xml.append("<Endpoint><Address>")
          .append(host)
          .append("</Address><Port>")
          .append(port)
          .append("</Port></Endpoint>");
    }
    xml.append("<TagList>");
    tags.forEach(
        (k, v) ->
            xml.append("<Tag><Key>")
                .append(k)
                .append("</Key><Value>")
                .append(v)
                .append("</Value></Tag>"));
    xml.append("</TagList></DBInstance>");
    return xml.toString();
  }

  public static String instances(String marker, String... instances) {
    return "<DBInstances>"
        + String.join("", instances)
        + "</DBInstances>"
        + (marker == null ? "" : "<Marker>" + marker + "</Marker>");
  }

  private static String jsonString(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public void close() {
    server.stop();
  }
}
