package dev.strata.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Reads a Strata broker's tier status from {@code GET /api/v1/tiers[/<topic>]} on its HTTP metrics listener
 * ({@code metrics.prometheus.listener}, 127.0.0.1:9404 in the sample config): Kafka's protocol has no API for what the
 * remote tier holds.
 */
final class TierClient {

    static final String DEFAULT_URL = "http://127.0.0.1:9404";
    static final String PATH = "/api/v1/tiers";

    @Option(
            names = "--http",
            paramLabel = "URL",
            defaultValue = DEFAULT_URL,
            description = "the broker's HTTP metrics listener (metrics.prometheus.listener; default: ${DEFAULT-VALUE})")
    String baseUrl;

    /** One topic's tier status, or every topic's when {@code topic} is null. */
    Map<String, Object> status(String topic, Duration timeout) {
        String url = baseUrl.replaceAll("/+$", "")
                + PATH
                + (topic == null
                        ? ""
                        : "/" + URLEncoder.encode(topic, StandardCharsets.UTF_8).replace("+", "%20"));
        HttpResponse<String> response;
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(timeout)
                    .GET()
                    .build();
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new CliException("bad --http URL " + baseUrl + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(
                    "cannot reach the broker's HTTP listener at " + baseUrl + " (" + e
                            + "); is metrics.prometheus.listener set, and is --http its address?",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", e);
        }
        if (response.statusCode() == 404 && topic != null) {
            throw new CliException("topic " + topic + ": the broker at " + baseUrl + " hosts no partition of it");
        }
        if (response.statusCode() != 200) {
            throw new CliException(url + " answered " + response.statusCode() + ": "
                    + response.body().strip() + " (is this a Strata broker's metrics listener?)");
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> doc = (Map<String, Object>) Json.parse(response.body());
            return doc;
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new CliException(url + " did not answer a tier status: " + e.getMessage(), e);
        }
    }

    /** The topic's tier status, empty when the broker's HTTP listener cannot tell (not Strata, not reachable). */
    Optional<Map<String, Object>> statusIfAvailable(String topic, Duration timeout) {
        try {
            return Optional.of(status(topic, timeout));
        } catch (CliException e) {
            return Optional.empty();
        }
    }

    /** The partitions' objects of {@code topic} in a status document. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> partitions(Map<String, Object> doc, String topic) {
        for (Object t : (List<Object>) doc.getOrDefault("topics", List.of())) {
            Map<String, Object> topicDoc = (Map<String, Object>) t;
            if (topic.equals(topicDoc.get("topic"))) {
                return (List<Map<String, Object>>) topicDoc.getOrDefault("partitions", List.of());
            }
        }
        return List.of();
    }

    /** A number field of a status object, {@code -1} when absent. */
    static long number(Map<String, Object> object, String field) {
        Object value = object.get(field);
        return value instanceof Number n ? n.longValue() : -1L;
    }
}
