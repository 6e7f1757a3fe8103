package org.affectdml.deploy;

import org.affectdml.service.testing.BoundedProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/k8s against the services' own configuration: Service names and ports, container ports, probe paths and
 * ports, the environment variables that carry ports and peer host names. A change on one side fails here.
 */
class KubernetesManifestsTest {

    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path BASE = REPO.resolve("deploy/k8s/base");
    /** Service name = module name; the env variable that sets its port in application.properties. */
    private static final Pattern PLACEHOLDER_WITH_DEFAULT = Pattern.compile("\\$\\{(\\w+):(\\d+)}");

    static final Map<String, String> PORT_VARIABLES = Map.of("segmentation-service", "SEGMENTATION_PORT",
            "embedding-service", "EMBEDDING_PORT", "support-registry", "REGISTRY_PORT", "trainer", "TRAINER_PORT");
    static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+):([^}]*)}");

    @Test
    void everyServiceMatchesItsApplicationProperties() throws IOException {
        List<Map<String, Object>> docs = documents();
        for (var e : PORT_VARIABLES.entrySet()) {
            String name = e.getKey();
            Properties props = properties(name);
            Matcher port = PLACEHOLDER.matcher(props.getProperty("quarkus.http.port"));
            assertTrue(port.matches(), name + ": quarkus.http.port is ${VAR:default}");
            assertEquals(e.getValue(), port.group(1), name + ": port variable");
            int configured = Integer.parseInt(port.group(2));

            Map<String, Object> service = find(docs, "Service", name);
            Map<String, Object> servicePort = list(map(service, "spec"), "ports").get(0);
            assertEquals(configured, servicePort.get("port"), name + ": Service port = quarkus.http.port");

            Map<String, Object> container = container(find(docs, "Deployment", name));
            assertEquals(configured, list(container, "ports").get(0).get("containerPort"), name + ": containerPort");
            assertEquals(String.valueOf(configured), env(container).get(e.getValue()), name + ": " + e.getValue() + " in the pod");
            assertEquals("/q/health/ready", map(map(container, "readinessProbe"), "httpGet").get("path"), name + ": readiness");
            assertEquals("/q/health/started", map(map(container, "startupProbe"), "httpGet").get("path"), name + ": startup");
            assertEquals(configured, map(map(container, "livenessProbe"), "grpc").get("port"), name + ": gRPC liveness on the service port");
            assertEquals("false", props.getProperty("quarkus.grpc.server.use-separate-server"), name + ": gRPC shares the HTTP port the probes use");
            assertTrue(Poms.of(REPO.resolve(name).resolve("pom.xml")).dependencies(false).contains("quarkus-smallrye-health"), name + ": /q/health exists");
        }
    }

    @Test
    void peersAreReachedByTheirServiceNames() throws IOException {
        List<Map<String, Object>> docs = documents();
        assertPeer(docs, "embedding-service", "quarkus.grpc.clients.segmentation", "SEGMENTATION_HOST", "SEGMENTATION_PORT", "segmentation-service");
        assertPeer(docs, "support-registry", "quarkus.grpc.clients.embedding", "EMBEDDING_HOST", "EMBEDDING_PORT", "embedding-service");
        Map<String, String> registryEnv = env(container(find(docs, "Deployment", "support-registry")));
        assertTrue(registryEnv.get("AFFECT_DB_URL").startsWith("jdbc:postgresql://postgres:5432/"), "registry -> postgres Service");
        assertTrue(properties("support-registry").getProperty("quarkus.datasource.jdbc.url").contains("${AFFECT_DB_URL:"));
        assertNotNull(find(docs, "Service", "postgres"));
    }

    private static void assertPeer(List<Map<String, Object>> docs, String caller, String client, String hostVar, String portVar, String peer)
            throws IOException {
        Properties props = properties(caller);
        assertTrue(props.getProperty(client + ".host").startsWith("${" + hostVar + ":"), caller + ": " + client + ".host from " + hostVar);
        assertTrue(props.getProperty(client + ".port").startsWith("${" + portVar + ":"), caller + ": " + client + ".port from " + portVar);
        Map<String, String> env = env(container(find(docs, "Deployment", caller)));
        assertEquals(peer, env.get(hostVar), caller + " finds " + peer + " by its Service name");
        Map<String, Object> peerPort = list(map(find(docs, "Service", peer), "spec"), "ports").get(0);
        assertEquals(String.valueOf(peerPort.get("port")), env.get(portVar), caller + ": port of " + peer);
    }

    @Test
    void everyPodIsScrapedAndReadsTheObservabilitySettingsItsServiceUses() throws IOException {
        List<Map<String, Object>> docs = documents();
        Map<String, Object> settings = map(find(docs, "ConfigMap", "affect-observability"), "data");
        for (String name : PORT_VARIABLES.keySet()) {
            Properties props = properties(name);
            // Each setting the ConfigMap carries is the variable the service's property reads.
            assertEquals("AFFECT_LOG_JSON", variable(props, "quarkus.log.console.json.enabled"), name);
            assertEquals("OTEL_SDK_DISABLED", variable(props, "quarkus.otel.sdk.disabled"), name);
            assertEquals("OTEL_EXPORTER_OTLP_ENDPOINT", variable(props, "quarkus.otel.exporter.otlp.traces.endpoint"), name);
            assertTrue(settings.keySet().containsAll(List.of("AFFECT_LOG_JSON", "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT")));

            Map<String, Object> deployment = find(docs, "Deployment", name);
            Map<String, Object> container = container(deployment);
            assertTrue(String.valueOf(container.get("envFrom")).contains("affect-observability"), name + ": envFrom the ConfigMap");
            Map<String, Object> annotations = map(map(map(map(deployment, "spec"), "template"), "metadata"), "annotations");
            assertEquals("/q/metrics", annotations.get("prometheus.io/path"), name);
            assertEquals(String.valueOf(managementPort(container)), annotations.get("prometheus.io/port"), name + " is scraped on its management port");
            assertTrue(Poms.of(REPO.resolve(name).resolve("pom.xml")).dependencies(false).contains("quarkus-micrometer-registry-prometheus"),
                    name + ": /q/metrics exists");
        }
    }

    @Test
    void inferenceServicesAreHeadlessAndTheirCallersBalanceRoundRobin() throws IOException {
        List<Map<String, Object>> docs = documents();
        for (String name : List.of("embedding-service", "segmentation-service")) {
            assertEquals("None", String.valueOf(map(find(docs, "Service", name), "spec").get("clusterIP")), name + " is headless");
        }
        assertEquals("round_robin", properties("support-registry").getProperty("quarkus.grpc.clients.embedding.load-balancing-policy"));
        assertEquals("round_robin", properties("embedding-service").getProperty("quarkus.grpc.clients.segmentation.load-balancing-policy"));
    }

    @Test
    void probesAndScrapersUseTheManagementPortTheServiceOpens() throws IOException {
        List<Map<String, Object>> docs = documents();
        List<Integer> managementPorts = new ArrayList<>();
        for (String name : PORT_VARIABLES.keySet()) {
            Map<String, Object> container = container(find(docs, "Deployment", name));
            int port = managementPort(container);
            managementPorts.add(port);
            Matcher configured = PLACEHOLDER_WITH_DEFAULT.matcher(String.valueOf(properties(name).getProperty("quarkus.management.port")));
            assertTrue(configured.matches(), name + ": quarkus.management.port is ${VAR:default}");
            assertEquals(String.valueOf(port), configured.group(2), name + ": the pod's management port is the one the service opens");
            for (String probe : List.of("readinessProbe", "startupProbe")) {
                assertEquals("management", String.valueOf(map(map(container, probe), "httpGet").get("port")), name + " " + probe);
            }
        }
        Map<String, Object> podMonitor = yaml(REPO.resolve("deploy/k8s/monitoring/podmonitor.yaml")).get(0);
        assertEquals("management", list(map(podMonitor, "spec"), "podMetricsEndpoints").get(0).get("port"));
        Map<String, Object> metricsPolicy = find(docs, "NetworkPolicy", "metrics-from-monitoring");
        List<Integer> admitted = list(list(map(metricsPolicy, "spec"), "ingress").get(0), "ports").stream()
                .map(p -> ((Number) p.get("port")).intValue()).sorted().toList();
        assertEquals(managementPorts.stream().sorted().toList(), admitted, "Prometheus reaches the management ports only");
    }

    private static int managementPort(Map<String, Object> container) {
        return list(container, "ports").stream().filter(p -> "management".equals(p.get("name")))
                .map(p -> ((Number) p.get("containerPort")).intValue()).findFirst()
                .orElseThrow(() -> new AssertionError(container.get("name") + " has no port named management"));
    }

    @Test
    void callsBetweenServicesCarryTheServiceKeyFromTheSecret() throws IOException {
        List<Map<String, Object>> docs = documents();
        Map<String, Object> secret = find(docs, "Secret", "affect-api-keys");
        assertTrue(map(secret, "stringData").containsKey("service-key"), "the Secret holds the service key");
        for (String caller : List.of("support-registry", "embedding-service")) {
            assertSecretKey(docs, caller, "AFFECT_SERVICE_KEY");
        }
        for (String callee : List.of("embedding-service", "segmentation-service")) {
            assertSecretKey(docs, callee, "AFFECT_SERVICE_KEYS");
            assertEquals("0.0.0.0", env(container(find(docs, "Deployment", callee))).get("AFFECT_BIND_ADDRESS"),
                    callee + " listens on the pod's interfaces");
            assertEquals("${AFFECT_BIND_ADDRESS:127.0.0.1}", properties(callee).getProperty("quarkus.http.host"),
                    callee + " binds loopback unless told otherwise");
        }
    }

    private static void assertSecretKey(List<Map<String, Object>> docs, String deployment, String variable) {
        Map<String, Object> entry = list(container(find(docs, "Deployment", deployment)), "env").stream()
                .filter(e -> variable.equals(e.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError(deployment + " sets no " + variable));
        Map<String, Object> ref = map(map(entry, "valueFrom"), "secretKeyRef");
        assertEquals("affect-api-keys", ref.get("name"), deployment + " " + variable);
        assertEquals("service-key", ref.get("key"), deployment + " " + variable);
    }

    @Test
    void aTerminatedPodLeavesTheEndpointsFirstAndItsGracePeriodCoversTheCallsInFlight() throws IOException {
        List<Map<String, Object>> docs = documents();
        Map<String, Object> settings = map(find(docs, "ConfigMap", "affect-observability"), "data");
        long delay = seconds(String.valueOf(settings.get("AFFECT_SHUTDOWN_DELAY")));
        assertTrue(delay >= 1, "readiness goes DOWN before the pod stops taking calls");
        Properties shared = new Properties();
        try (var in = Files.newBufferedReader(REPO.resolve("service-common/src/main/resources/META-INF/microprofile-config.properties"))) {
            shared.load(in);
        }
        assertEquals("AFFECT_SHUTDOWN_DELAY", variable(shared, "quarkus.shutdown.delay"));
        java.util.regex.Matcher timeout = java.util.regex.Pattern.compile("\\$\\{AFFECT_SHUTDOWN_TIMEOUT:(\\w+)}")
                .matcher(shared.getProperty("quarkus.shutdown.timeout"));
        assertTrue(timeout.matches(), shared.getProperty("quarkus.shutdown.timeout"));
        for (String name : PORT_VARIABLES.keySet()) {
            Map<String, Object> pod = map(map(find(docs, "Deployment", name), "spec"), "template");
            long grace = ((Number) map(pod, "spec").get("terminationGracePeriodSeconds")).longValue();
            Map<String, Object> container = list(map(pod, "spec"), "containers").get(0);
            long preStop = ((Number) map(map(map(container, "lifecycle"), "preStop"), "sleep").get("seconds")).longValue();
            assertTrue(grace > preStop + delay + seconds(timeout.group(1)), name + ": grace period " + grace
                    + " s must exceed the preStop sleep " + preStop + " s, the shutdown delay " + delay + " s and the request timeout "
                    + timeout.group(1));
        }
    }

    private static long seconds(String duration) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)s").matcher(duration);
        assertTrue(m.matches(), "a duration in seconds, e.g. 5s: " + duration);
        return Long.parseLong(m.group(1));
    }

    @Test
    void theGpuAutoscalingMetricIsTheOneTheServicesExport() throws IOException {
        // Micrometer's Prometheus naming: dots become underscores.
        String exported = org.affectdml.serving.runtime.InferenceMetrics.IN_FLIGHT.replace('.', '_');
        List<Map<String, Object>> hpas = yaml(REPO.resolve("deploy/k8s/overlays/gpu/hpa.yaml"));
        assertEquals(List.of("embedding-service", "segmentation-service"), hpas.stream().map(h -> map(h, "metadata").get("name")).sorted().toList());
        for (Map<String, Object> hpa : hpas) {
            Map<String, Object> metric = map(map(list(map(hpa, "spec"), "metrics").get(0), "pods"), "metric");
            assertEquals(exported, metric.get("name"), map(hpa, "metadata").get("name") + " scales on the exported gauge");
        }
        Map<String, Object> adapter = yaml(REPO.resolve("deploy/k8s/monitoring/prometheus-adapter-values.yaml")).get(0);
        Map<String, Object> rule = list(map(adapter, "rules"), "custom").get(0);
        assertTrue(String.valueOf(rule.get("seriesQuery")).startsWith(exported + "{"), "Prometheus Adapter reads it: " + rule.get("seriesQuery"));
        assertEquals(exported, map(rule, "name").get("as"), "and exposes it under the name the HPAs ask for");
    }

    static List<Map<String, Object>> yaml(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file)) {
            for (Object doc : new Yaml().loadAll(r)) {
                if (doc != null) {
                    @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) doc;
                    docs.add(m);
                }
            }
        }
        return docs;
    }

    private static String variable(Properties props, String key) {
        Matcher m = PLACEHOLDER.matcher(String.valueOf(props.getProperty(key)));
        assertTrue(m.matches(), key + " is ${VAR:default}, got " + props.getProperty(key));
        return m.group(1);
    }

    static boolean kubectlInstalled() {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "kubectl")));
    }

    /** ContainerStackIT reads the committed rendering where kubectl is absent: it must be what the overlay renders. */
    @Test
    void theCommittedCpuRenderingIsCurrent() throws Exception {
        Assumptions.assumeTrue(kubectlInstalled(), "kubectl is not installed: rendering is checked where it is (deploy/k8s/render.sh)");
        BoundedProcess.Result r = BoundedProcess.runForStandardOutput(
                List.of("kubectl", "kustomize", REPO.resolve("deploy/k8s/overlays/cpu").toString()), Duration.ofSeconds(60));
        assertEquals(0, r.exit(), "kubectl kustomize failed: " + r.errors());
        assertEquals(r.output(), Files.readString(REPO.resolve("deploy/k8s/rendered/cpu.yaml")),
                "deploy/k8s/rendered/cpu.yaml is stale: run deploy/k8s/render.sh and commit it");
    }

    @Test
    void overlaysRenderWithKustomize() throws Exception {
        Assumptions.assumeTrue(kubectlInstalled(), "kubectl is not installed: rendering is checked where it is (deploy/k8s/render.sh)");
        for (String overlay : List.of("cpu", "gpu")) {
            BoundedProcess.Result r = BoundedProcess.run(
                    List.of("kubectl", "kustomize", REPO.resolve("deploy/k8s/overlays/" + overlay).toString()), Duration.ofSeconds(60));
            String out = r.output();
            assertEquals(0, r.exit(), overlay + ": " + out);
            assertTrue(out.contains("kind: HorizontalPodAutoscaler") && out.contains("kind: NetworkPolicy"), overlay);
            assertEquals(overlay.equals("gpu"), out.contains("nvidia.com/gpu: 1"), overlay + ": GPUs only in the gpu overlay");
        }
        BoundedProcess.Result monitoring = BoundedProcess.run(
                List.of("kubectl", "kustomize", REPO.resolve("deploy/k8s/monitoring").toString()), Duration.ofSeconds(60));
        String out = monitoring.output();
        assertEquals(0, monitoring.exit(), "monitoring: " + out);
        assertTrue(out.contains("kind: PodMonitor") && out.contains("kind: PrometheusRule"), out);
    }

    static List<Map<String, Object>> documents() throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(BASE)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml")).sorted().toList()) {
                docs.addAll(yaml(f));
            }
        }
        return docs;
    }

    /** A service's settings as Quarkus sees them: service-common's shared defaults, then its application.properties. */
    static Properties properties(String module) throws IOException {
        Properties p = new Properties();
        for (Path file : List.of(REPO.resolve("service-common/src/main/resources/META-INF/microprofile-config.properties"),
                REPO.resolve(module).resolve("src/main/resources/application.properties"))) {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
        }
        return p;
    }

    static Map<String, Object> find(List<Map<String, Object>> docs, String kind, String name) {
        return docs.stream().filter(d -> kind.equals(d.get("kind")) && name.equals(map(d, "metadata").get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + BASE));
    }

    static Map<String, Object> container(Map<String, Object> deployment) {
        return list(map(map(map(deployment, "spec"), "template"), "spec"), "containers").get(0);
    }

    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new java.util.HashMap<>();
        for (Map<String, Object> e : list(container, "env")) {
            env.put((String) e.get("name"), e.get("value") == null ? null : String.valueOf(e.get("value")));
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        return (List<Map<String, Object>>) m.get(key);
    }
}
