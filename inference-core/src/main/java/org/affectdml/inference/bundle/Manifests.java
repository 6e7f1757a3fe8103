package org.affectdml.inference.bundle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes {@code manifest.json} (snake_case keys, unknown keys ignored for forward compatibility). */
public final class Manifests {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private Manifests() {
    }

    public static BundleManifest read(Path bundleDir) throws IOException {
        Path file = bundleDir.resolve(BundleManifest.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new BundleException(bundleDir + " is not a model bundle: it has no " + BundleManifest.FILE_NAME);
        }
        try {
            return MAPPER.readValue(file.toFile(), BundleManifest.class);
        } catch (IOException e) {
            throw new BundleException(file + " is not a valid manifest: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
    }

    public static void write(BundleManifest manifest, Path bundleDir) throws IOException {
        MAPPER.writeValue(bundleDir.resolve(BundleManifest.FILE_NAME).toFile(), manifest);
    }

    public static String toJson(BundleManifest manifest) throws IOException {
        return MAPPER.writeValueAsString(manifest);
    }
}
