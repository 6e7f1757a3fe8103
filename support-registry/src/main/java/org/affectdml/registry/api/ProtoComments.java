package org.affectdml.registry.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The comments of a .proto file on the classpath (the proto module ships its sources as resources), by the full name of
 * the top-level message or field they stand above: "affect.v1.TaxonomyEvaluation", "affect.v1.TaxonomyEvaluation.held_out_folds".
 * The REST API's schema takes its descriptions from them, so registry.proto stays the one place that says what a figure
 * means. A comment belongs to the declaration right below it; a blank line or any other line in between drops it.
 */
final class ProtoComments {

    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;");
    private static final Pattern MESSAGE = Pattern.compile("^message\\s+(\\w+)\\s*\\{");
    private static final Pattern FIELD = Pattern.compile("^\\s+(?:repeated\\s+|optional\\s+)?(?:map<[^>]+>|[\\w.]+)\\s+(\\w+)\\s*=\\s*\\d+");

    private ProtoComments() {
    }

    /** The comments of the named resource (e.g. "registry.proto"); empty when it is not on the classpath. */
    static Map<String, String> of(String resource) {
        try (InputStream in = ProtoComments.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? Map.of() : parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> parse(String proto) {
        Map<String, String> comments = new HashMap<>();
        String pkg = "";
        String message = null;
        StringBuilder pending = new StringBuilder();
        for (String line : proto.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("//")) {
                pending.append(pending.isEmpty() ? "" : " ").append(trimmed.substring(2).strip());
                continue;
            }
            Matcher m;
            if ((m = PACKAGE.matcher(trimmed)).find()) {
                pkg = m.group(1) + ".";
            } else if ((m = MESSAGE.matcher(line)).find()) {
                message = pkg + m.group(1);
                put(comments, message, pending);
            } else if (line.startsWith("}")) {
                message = null;
            } else if (message != null && (m = FIELD.matcher(line)).find()) {
                put(comments, message + "." + m.group(1), pending);
            }
            pending.setLength(0);
        }
        return comments;
    }

    private static void put(Map<String, String> comments, String name, StringBuilder text) {
        if (!text.isEmpty()) {
            comments.put(name, text.toString());
        }
    }
}
