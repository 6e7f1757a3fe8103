package org.affectdml.registry;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.testing.TestImages;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same admin flow and Classify through REST/JSON, as an admin with curl would. */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class RegistryRestTest {

    @TestHTTPResource("/")
    URL url;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url.toString()).resolve(path)).header("Content-Type", "application/json");
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String supportJson(String className, byte[] image, int x1, int y1, int x2, int y2) {
        return "{\"className\":\"" + className + "\",\"image\":{\"data\":\"" + Base64.getEncoder().encodeToString(image)
                + "\"},\"box\":{\"x1\":" + x1 + ",\"y1\":" + y1 + ",\"x2\":" + x2 + ",\"y2\":" + y2 + "}}";
    }

    @Test
    void adminFlowAndClassifyOverRest() throws Exception {
        var created = send("POST", "/api/v1/taxonomies", ADMIN_KEY,
                "{\"name\":\"rest-tax\",\"kind\":\"TAXONOMY_KIND_CATEGORICAL\",\"classes\":[{\"name\":\"joy\"},{\"name\":\"anger\"}]}");
        assertEquals(201, created.statusCode(), created.body());
        var first = send("POST", "/api/v1/taxonomies/rest-tax/supports", ADMIN_KEY, supportJson("joy", TestImages.png(scene(0)), 40, 20, 110, 110));
        assertEquals(201, first.statusCode(), first.body());
        var again = send("POST", "/api/v1/taxonomies/rest-tax/supports", ADMIN_KEY, supportJson("joy", TestImages.png(scene(0)), 40, 20, 110, 110));
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(201, send("POST", "/api/v1/taxonomies/rest-tax/supports", ADMIN_KEY,
                supportJson("anger", TestImages.png(scene(1)), 40, 20, 110, 110)).statusCode());

        var classified = send("POST", "/api/v1/taxonomies/rest-tax/classify", CLIENT_KEY,
                "{\"image\":{\"data\":\"" + Base64.getEncoder().encodeToString(nearDuplicate(1)) + "\"},\"box\":{\"x1\":30,\"y1\":14,\"x2\":90,\"y2\":90}}");
        assertEquals(200, classified.statusCode(), classified.body());
        assertTrue(classified.body().startsWith("{\"classes\":[{\"className\":\"anger\""), classified.body());
        var persons = send("POST", "/api/v1/taxonomies/rest-tax/classify-persons", CLIENT_KEY,
                "{\"image\":{\"data\":\"" + Base64.getEncoder().encodeToString(nearDuplicate(1)) + "\"},\"boxes\":["
                        + "{\"x1\":30,\"y1\":14,\"x2\":90,\"y2\":90},{\"x1\":900,\"y1\":0,\"x2\":990,\"y2\":9}],\"topK\":1}");
        assertEquals(200, persons.statusCode(), persons.body());
        assertTrue(persons.body().startsWith("{\"persons\":[{\"classification\":{\"classes\":[{\"className\":\"anger\""), persons.body());
        assertTrue(persons.body().contains("{\"error\":{\"code\":\"INVALID_ARGUMENT\",\"message\":\"box 1: "), persons.body());
        assertEquals(401, send("POST", "/api/v1/taxonomies/rest-tax/classify-persons", null, "{}").statusCode());

        var listed = send("GET", "/api/v1/taxonomies/rest-tax", ADMIN_KEY, null);
        assertTrue(listed.body().contains("\"supportCount\":1"), listed.body());
        var exported = send("GET", "/api/v1/taxonomies/rest-tax/export", ADMIN_KEY, null);
        assertEquals(200, exported.statusCode());
        assertEquals(200, send("DELETE", "/api/v1/taxonomies/rest-tax", ADMIN_KEY, null).statusCode());
        var imported = send("POST", "/api/v1/taxonomies/import", ADMIN_KEY, exported.body());
        assertEquals(201, imported.statusCode(), imported.body());
        assertTrue(imported.body().contains("\"name\":\"rest-tax\""));
    }

    @Test
    void errorsAreJsonWithTheHttpStatusOfTheirCode() throws Exception {
        var missing = send("GET", "/api/v1/taxonomies/does-not-exist", ADMIN_KEY, null);
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("\"code\":\"NOT_FOUND\""), missing.body());
        var bad = send("POST", "/api/v1/taxonomies", ADMIN_KEY, "{\"name\":\"x\",\"kind\":\"NOPE\"}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertEquals(401, send("GET", "/api/v1/taxonomies", null, null).statusCode());
        assertEquals(403, send("GET", "/api/v1/taxonomies", CLIENT_KEY, null).statusCode());
        var openapi = send("GET", "/q/openapi?format=json", null, null);
        assertEquals(200, openapi.statusCode());
        assertTrue(openapi.body().contains("/api/v1/taxonomies/{name}/classify"));
    }

    @Test
    void theOpenApiDocumentTypesEveryBodyFromTheProtoDescriptorsAndNamesTheApiKeyScheme() throws Exception {
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(send("GET", "/q/openapi?format=json", null, null).body());
        var schemas = doc.path("components").path("schemas");
        // Proto JSON mapping: camelCase names, messages by reference, int64 as string, enums by name, bytes as base64.
        assertEquals("#/components/schemas/affect.v1.PersonBox", schemas.path("affect.v1.ClassifyRequest").path("properties").path("box").path("$ref").asText());
        assertEquals("number", schemas.path("affect.v1.PersonBox").path("properties").path("x1").path("type").asText());
        assertEquals("int64", schemas.path("affect.v1.Taxonomy").path("properties").path("revision").path("format").asText());
        assertTrue(schemas.path("affect.v1.Taxonomy").path("properties").path("kind").path("enum").toString().contains("TAXONOMY_KIND_CATEGORICAL"));
        assertEquals("byte", schemas.path("affect.v1.Image").path("properties").path("data").path("format").asText());
        assertEquals("object", schemas.path("affect.v1.AddSupportRequest").path("properties").path("metadata").path("type").asText());
        assertEquals("array", schemas.path("affect.v1.ClassifyPersonsRequest").path("properties").path("boxes").path("type").asText());
        assertTrue(schemas.path("Error").path("properties").path("code").path("enum").toString().contains("INVALID_ARGUMENT"));
        // descriptions come from registry.proto's comments: how each figure was obtained
        var evaluation = schemas.path("affect.v1.TaxonomyEvaluation").path("properties");
        assertTrue(evaluation.path("heldOutFolds").path("description").asText().contains("split into held_out_folds folds by their sha256"),
                evaluation.path("heldOutFolds").toString());
        assertTrue(evaluation.path("falseAcceptRateUpper95").path("description").asText().contains("Clopper-Pearson"),
                evaluation.path("falseAcceptRateUpper95").toString());
        var classify = doc.path("paths").path("/api/v1/taxonomies/{name}/classify").path("post");
        assertEquals("#/components/schemas/affect.v1.ClassifyRequest",
                classify.path("requestBody").path("content").path("application/json").path("schema").path("$ref").asText(), classify.toString());
        assertEquals("#/components/schemas/affect.v1.ClassifyResponse",
                classify.path("responses").path("200").path("content").path("application/json").path("schema").path("$ref").asText());
        assertEquals("#/components/schemas/Error",
                classify.path("responses").path("default").path("content").path("application/json").path("schema").path("$ref").asText());
        assertEquals("bearer", doc.path("components").path("securitySchemes").path("apiKey").path("scheme").asText());
        // Every reference resolves.
        java.util.regex.Matcher ref = java.util.regex.Pattern.compile("\"#/components/schemas/([^\"]+)\"").matcher(doc.toString());
        while (ref.find()) {
            assertTrue(schemas.has(ref.group(1)), "dangling reference " + ref.group(1));
        }
    }

    /** {"code": "...", "message": "..."} with the status, and nothing that names the server's internals. */
    private static void assertJsonError(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        assertTrue(r.body().startsWith("{\"code\":\"" + code + "\",\"message\":\""), r.body());
        assertTrue(!r.body().contains("Exception") && !r.body().contains("at org."), r.body());
    }

    @Test
    void theRestApiAnswersEveryRefusalWithTheJsonErrorBody() throws Exception {
        assertJsonError(send("GET", "/api/v1/no-such-resource", ADMIN_KEY, null), 404, "NOT_FOUND");
        assertJsonError(send("PUT", "/api/v1/taxonomies", ADMIN_KEY, "{}"), 405, "UNIMPLEMENTED");
        HttpResponse<String> text = http.send(HttpRequest.newBuilder(URI.create(url.toString()).resolve("/api/v1/taxonomies"))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("moods")).build(), HttpResponse.BodyHandlers.ofString());
        assertJsonError(text, 415, "INVALID_ARGUMENT");
        assertJsonError(send("POST", "/api/v1/taxonomies", ADMIN_KEY, "{not json"), 400, "INVALID_ARGUMENT");
        assertJsonError(send("POST", "/api/v1/taxonomies/import", ADMIN_KEY, "[1,"), 400, "INVALID_ARGUMENT");
        assertJsonError(send("GET", "/api/v1/taxonomies/nope", ADMIN_KEY, null), 404, "NOT_FOUND");
        assertJsonError(send("GET", "/api/v1/taxonomies", null, null), 401, "UNAUTHENTICATED");
        var notANumber = send("GET", "/api/v1/taxonomies?page_size=abc", ADMIN_KEY, null);
        assertJsonError(notANumber, 400, "INVALID_ARGUMENT");
        assertTrue(notANumber.body().contains("page_size must be a whole number"), notANumber.body());
        assertJsonError(send("GET", "/api/v1/taxonomies?page_size=-1", ADMIN_KEY, null), 400, "INVALID_ARGUMENT");
    }
}
