package org.affectdml.deploy;

import org.affectdml.service.testing.BoundedProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.affectdml.deploy.KubernetesManifestsTest.REPO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/containers against the manifests and the packaged services: every image the manifests run is one
 * that build.sh builds, and every path the Dockerfiles copy exists in a packaged service. Images themselves
 * cannot be built here (no container engine); build.sh --dry-run shows what a machine with one runs.
 */
class ContainerBuildTest {

    static final Path CONTAINERS = REPO.resolve("deploy/containers");
    static final List<String> SERVICES = List.of("segmentation-service", "embedding-service", "support-registry", "trainer");

    @Test
    void buildShBuildsEveryImageTheManifestsRun() throws Exception {
        BoundedProcess.Result r = BoundedProcess.run(List.of("bash", CONTAINERS.resolve("build.sh").toString(), "--dry-run",
                "--gpu", "--native"), Duration.ofSeconds(30));
        String out = r.output();
        assertEquals(0, r.exit(), out);
        Set<String> built = new TreeSet<>();
        Matcher tag = Pattern.compile(" -t (\\S+)").matcher(out);
        while (tag.find()) {
            built.add(tag.group(1));
        }
        Set<String> referenced = referencedImages();
        assertTrue(referenced.size() >= 6, "base images plus the gpu overlay's: " + referenced);
        assertTrue(built.containsAll(referenced), "built " + built + " but the manifests run " + referenced);
        assertTrue(built.contains("affect-dml/support-registry:0.1.0-native"), out);
        assertTrue(out.contains("-Pgpu package") && out.contains("-Pnative package"), out);
    }

    /** affect-dml images the Deployments of deploy/k8s run: base tags, and the gpu overlay's renamed images with the same tag. */
    static Set<String> referencedImages() throws IOException {
        Set<String> images = new TreeSet<>();
        String tag = null;
        List<Map<String, Object>> docs = new ArrayList<>(KubernetesManifestsTest.documents());
        try (var jobs = Files.list(REPO.resolve("deploy/k8s/jobs"))) {
            for (Path job : jobs.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                docs.addAll(KubernetesManifestsTest.yaml(job));
            }
        }
        for (Map<String, Object> doc : docs) {
            if ("Deployment".equals(doc.get("kind")) || "StatefulSet".equals(doc.get("kind")) || "Job".equals(doc.get("kind"))) {
                String image = String.valueOf(KubernetesManifestsTest.container(doc).get("image"));
                if (image.startsWith("affect-dml/")) {
                    images.add(image);
                    tag = image.substring(image.indexOf(':') + 1);
                }
            }
        }
        Map<String, Object> gpu = KubernetesManifestsTest.yaml(REPO.resolve("deploy/k8s/overlays/gpu/kustomization.yaml")).get(0);
        for (Map<String, Object> renamed : KubernetesManifestsTest.list(gpu, "images")) {
            images.add(renamed.get("newName") + ":" + tag);
        }
        return images;
    }

    @Test
    void everyPathTheJvmDockerfilesCopyExistsInAPackagedService() throws IOException {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (String dockerfile : List.of("Dockerfile.jvm", "Dockerfile.jvm-gpu")) {
            Matcher copy = Pattern.compile("(?m)^COPY \\S+ \\$\\{MODULE}/(\\S+) ").matcher(Files.readString(CONTAINERS.resolve(dockerfile)));
            List<String> sources = new ArrayList<>();
            while (copy.find()) {
                sources.add(copy.group(1));
            }
            assertEquals(4, sources.size(), dockerfile + ": the four layers of the Quarkus fast-jar");
            for (String module : SERVICES) {
                Path app = REPO.resolve(module).resolve("target/quarkus-app");
                if (!Files.isDirectory(app)) {
                    continue;
                }
                for (String source : sources) {
                    String glob = source.endsWith("*.jar") ? "quarkus-run.jar" : source.substring("target/quarkus-app/".length());
                    if (!Files.exists(app.resolve(glob))) {
                        missing.add(dockerfile + ": " + module + "/" + source);
                    }
                    checked++;
                }
            }
        }
        Assumptions.assumeTrue(checked > 0, "no service is packaged yet (run ./mvnw package): nothing to check the COPY paths against");
        assertTrue(missing.isEmpty(), "COPY sources missing: " + missing);
    }

    @Test
    void jvmImagesInstallTurboJpegForDctScaledDecoding() throws IOException {
        // The JNA binding loads libturbojpeg; the package is libturbojpeg0 on Debian, libturbojpeg on Ubuntu.
        assertTrue(Pattern.compile("apt-get install [^\\n]*libturbojpeg0").matcher(Files.readString(CONTAINERS.resolve("Dockerfile.jvm"))).find());
        assertTrue(Pattern.compile("apt-get install [^\\n]*libturbojpeg").matcher(Files.readString(CONTAINERS.resolve("Dockerfile.jvm-gpu"))).find());
        assertTrue(Pattern.compile("(?m)^FROM docker\\.io/library/debian:bookworm-slim$").matcher(Files.readString(CONTAINERS.resolve("Dockerfile.jvm"))).find(),
                "one Dockerfile for production and for machines without a registry (base-image.sh bootstraps that name)");
    }

    @Test
    void gpuImagesRunOnCuda12WithCudnn9AndTheRegistryHasANativeProfile() throws IOException {
        String gpu = Files.readString(CONTAINERS.resolve("Dockerfile.jvm-gpu"));
        assertTrue(Pattern.compile("(?m)^FROM nvidia/cuda:12\\.[0-9.]+-cudnn-runtime-").matcher(gpu).find(),
                "CUDA 12 runtime with cuDNN (the cudnn tags of CUDA 12.4+ carry cuDNN 9)");
        assertEquals(Optional.of("onnxruntime_gpu"), Poms.of(REPO.resolve("pom.xml")).profileProperty("gpu", "onnxruntime.artifact"),
                "the gpu profile swaps in onnxruntime_gpu");
        assertEquals(Optional.of("true"), Poms.of(REPO.resolve("support-registry/pom.xml")).profileProperty("native", "quarkus.native.enabled"));
        Matcher copy = Pattern.compile("(?m)^COPY .*\\$\\{MODULE}/(\\S+) /work/application$").matcher(Files.readString(CONTAINERS.resolve("Dockerfile.native")));
        assertTrue(copy.find(), "Dockerfile.native copies the native executable");
        assertEquals("target/*-runner", copy.group(1), "what the native build writes");
    }

    @Test
    void theRegistryShipsNoModelOrImagingCode() {
        List<String> shipped = Poms.of(REPO.resolve("support-registry/pom.xml")).dependencies(false);
        assertTrue(shipped.contains("service-common"), shipped.toString());
        for (String heavy : List.of("inference-core", "model-serving", "onnxruntime", "onnxruntime_gpu", "imageio-jpeg")) {
            assertTrue(!shipped.contains(heavy), "support-registry ships " + heavy);
        }
    }
}
