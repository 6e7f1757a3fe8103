package org.affectdml.service.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/** One scrape of a service's /q/metrics in the Prometheus text format, with lookups for tests. */
public final class PrometheusScrape {

    /** One sample line: {@code name{labels} value}; {@code labels} is the text between the braces. */
    public record Sample(String name, String labels, double value) {
        public boolean hasLabel(String key, String value) {
            return labels.contains(key + "=\"" + value + "\"");
        }
    }

    private final String text;
    private final List<Sample> samples;

    private PrometheusScrape(String text) {
        this.text = text;
        this.samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, line.indexOf(' '));
            String labels = brace >= 0 && brace < space ? line.substring(brace + 1, line.lastIndexOf('}')) : "";
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
    }

    /**
     * Scrapes {@code base}/q/metrics (base like http://127.0.0.1:8101/) over HTTP/1.1, as Prometheus does: the JDK
     * client's default h2c upgrade once read a large metrics answer of a busy registry as garbled HTTP/2 frames.
     */
    public static PrometheusScrape of(String base) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create(base).resolve("/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET /q/metrics answered " + r.statusCode() + ": " + r.body());
        }
        return new PrometheusScrape(r.body());
    }

    public List<Sample> named(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The value of the first sample with this name whose labels contain every {@code key="value"} given. */
    public OptionalDouble value(String name, String... labelPairs) {
        return named(name).stream().filter(s -> {
            for (int i = 0; i + 1 < labelPairs.length; i += 2) {
                if (!s.hasLabel(labelPairs[i], labelPairs[i + 1])) {
                    return false;
                }
            }
            return true;
        }).mapToDouble(Sample::value).findFirst();
    }

    public String text() {
        return text;
    }
}
