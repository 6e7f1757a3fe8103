package org.affectdml.deploy.stack;

import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rendered overlay (kubectl kustomize deploy/k8s/overlays/cpu) read as the objects a runner can carry out: the
 * Deployments and StatefulSets as {@link PodPlan}s, Services by selector. Whatever a pod spec uses that the runner
 * cannot carry out (a fieldRef, an exec preStop, a hostPath ...) is refused by name rather than skipped.
 */
public final class RenderedOverlay {

    /** Objects that need a cluster; the runner reads past them (docs/containers.md says so). */
    public static final Set<String> CLUSTER_ONLY = Set.of("HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget",
            "PodMonitor", "PrometheusRule", "PersistentVolumeClaim");
    private static final Pattern QUANTITY = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|k|M|G)?");

    private final List<Map<String, Object>> objects;

    private RenderedOverlay(List<Map<String, Object>> objects) {
        this.objects = objects;
    }

    @SuppressWarnings("unchecked")
    public static RenderedOverlay read(Path rendered) throws IOException {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(rendered))) {
            if (doc != null) {
                objects.add((Map<String, Object>) doc);
            }
        }
        return new RenderedOverlay(objects);
    }

    /** Kinds the runner carries out (workloads, and what they read) or knowingly reads past ({@link #CLUSTER_ONLY}). */
    public static final Set<String> CARRIED_OUT = Set.of("Deployment", "StatefulSet", "Service", "Secret", "ConfigMap");

    /** Kinds of this overlay the runner neither carries out nor knows to need a cluster: it must refuse to run them. */
    public List<String> unknownKinds() {
        return objects.stream().map(o -> (String) o.get("kind"))
                .filter(k -> !CARRIED_OUT.contains(k) && !CLUSTER_ONLY.contains(k)).distinct().toList();
    }

    /** The Deployments and StatefulSets, in the order the overlay lists them. */
    public List<PodPlan> workloads() {
        return objects.stream().filter(o -> Set.of("Deployment", "StatefulSet").contains(o.get("kind"))).map(this::plan).toList();
    }

    public PodPlan workload(String name) {
        return workloads().stream().filter(p -> p.workload().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Deployment or StatefulSet named " + name));
    }

    /** Service name to the pod labels it selects. */
    public Map<String, Map<String, String>> serviceSelectors() {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Map<String, Object> o : named("Service")) {
            out.put(name(o), strings(map(map(o, "spec"), "selector")));
        }
        return out;
    }

    private PodPlan plan(Map<String, Object> workload) {
        String name = name(workload);
        Map<String, Object> spec = map(workload, "spec");
        Map<String, Object> template = map(spec, "template");
        Map<String, Object> pod = map(template, "spec");
        List<Map<String, Object>> containers = list(pod, "containers");
        if (containers.size() != 1 || pod.containsKey("initContainers")) {
            throw unsupported(name, "pods of one container without init containers");
        }
        Map<String, Object> c = containers.get(0);
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Map<String, Object> p : list(c, "ports")) {
            ports.put((String) p.getOrDefault("name", String.valueOf(p.get("containerPort"))), (Integer) p.get("containerPort"));
        }
        Map<String, Object> security = map(pod, "securityContext");
        Map<String, Object> lifecycle = map(c, "lifecycle");
        int preStop = 0;
        if (!lifecycle.isEmpty()) {
            Map<String, Object> hook = map(lifecycle, "preStop");
            if (!hook.keySet().equals(Set.of("sleep"))) {
                throw unsupported(name, "preStop hooks other than sleep: " + hook.keySet());
            }
            preStop = (Integer) map(hook, "sleep").get("seconds");
        }
        Object memory = map(map(c, "resources"), "limits").get("memory");
        return new PodPlan(name, (String) workload.get("kind"), (Integer) spec.getOrDefault("replicas", 1),
                strings(map(map(template, "metadata"), "labels")), (String) c.get("image"), words(c.get("command")),
                words(c.get("args")), environment(name, c), ports,
                probe(name, map(c, "startupProbe"), ports), probe(name, map(c, "readinessProbe"), ports),
                probe(name, map(c, "livenessProbe"), ports), memory == null ? null : bytes(memory.toString()),
                mounts(name, c, pod, spec), preStop, (Integer) pod.getOrDefault("terminationGracePeriodSeconds", 30),
                Boolean.TRUE.equals(security.get("runAsNonRoot")));
    }

    private Map<String, String> environment(String workload, Map<String, Object> container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> from : list(container, "envFrom")) {
            if (!from.containsKey("configMapRef")) {
                throw unsupported(workload, "envFrom other than configMapRef: " + from.keySet());
            }
            env.putAll(configMap(name(map(from, "configMapRef"))));
        }
        for (Map<String, Object> e : list(container, "env")) {
            String key = (String) e.get("name");
            if (e.containsKey("value")) {
                env.put(key, String.valueOf(e.get("value")));
                continue;
            }
            Map<String, Object> from = map(e, "valueFrom");
            if (from.containsKey("secretKeyRef")) {
                Map<String, Object> ref = map(from, "secretKeyRef");
                env.put(key, required(secret(name(ref)), (String) ref.get("key"), workload + " env " + key));
            } else if (from.containsKey("configMapKeyRef")) {
                Map<String, Object> ref = map(from, "configMapKeyRef");
                env.put(key, required(configMap(name(ref)), (String) ref.get("key"), workload + " env " + key));
            } else {
                throw unsupported(workload, "env " + key + " from " + from.keySet());
            }
        }
        return env;
    }

    private static PodPlan.Probe probe(String workload, Map<String, Object> probe, Map<String, Integer> ports) {
        if (probe.isEmpty()) {
            return null;
        }
        int period = (Integer) probe.getOrDefault("periodSeconds", 10);
        int failures = (Integer) probe.getOrDefault("failureThreshold", 3);
        int delay = (Integer) probe.getOrDefault("initialDelaySeconds", 0);
        int timeout = (Integer) probe.getOrDefault("timeoutSeconds", 1);
        if (probe.containsKey("httpGet")) {
            Map<String, Object> get = map(probe, "httpGet");
            return new PodPlan.Probe(PodPlan.Probe.Kind.HTTP, (String) get.get("path"), port(workload, get.get("port"), ports),
                    List.of(), period, failures, delay, timeout);
        }
        if (probe.containsKey("grpc")) {
            return new PodPlan.Probe(PodPlan.Probe.Kind.GRPC, null, port(workload, map(probe, "grpc").get("port"), ports),
                    List.of(), period, failures, delay, timeout);
        }
        if (probe.containsKey("exec")) {
            return new PodPlan.Probe(PodPlan.Probe.Kind.EXEC, null, 0, words(map(probe, "exec").get("command")), period,
                    failures, delay, timeout);
        }
        throw unsupported(workload, "probes other than httpGet, grpc and exec: " + probe.keySet());
    }

    private static int port(String workload, Object port, Map<String, Integer> ports) {
        if (port instanceof Integer n) {
            return n;
        }
        Integer named = ports.get(String.valueOf(port));
        if (named == null) {
            throw unsupported(workload, "a probe on port " + port + ", which the container does not name");
        }
        return named;
    }

    private List<PodPlan.Mount> mounts(String workload, Map<String, Object> container, Map<String, Object> pod,
                                       Map<String, Object> workloadSpec) {
        Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
        for (Map<String, Object> v : list(pod, "volumes")) {
            volumes.put(name(v), v);
        }
        Set<String> templates = new java.util.HashSet<>();
        for (Map<String, Object> t : list(workloadSpec, "volumeClaimTemplates")) {
            templates.add(name(map(t, "metadata")));
        }
        List<PodPlan.Mount> mounts = new ArrayList<>();
        for (Map<String, Object> m : list(container, "volumeMounts")) {
            String volume = (String) m.get("name");
            String path = (String) m.get("mountPath");
            boolean readOnly = Boolean.TRUE.equals(m.get("readOnly"));
            Map<String, Object> v = volumes.get(volume);
            if (v == null && templates.contains(volume)) {
                mounts.add(new PodPlan.Mount(volume, path, readOnly, PodPlan.Mount.Source.CLAIM_TEMPLATE, volume, Map.of()));
            } else if (v != null && v.containsKey("persistentVolumeClaim")) {
                mounts.add(new PodPlan.Mount(volume, path, readOnly, PodPlan.Mount.Source.CLAIM, (String) map(v, "persistentVolumeClaim").get("claimName"), Map.of()));
            } else if (v != null && v.containsKey("configMap")) {
                String cm = name(map(v, "configMap"));
                mounts.add(new PodPlan.Mount(volume, path, readOnly, PodPlan.Mount.Source.CONFIG_MAP, cm, configMap(cm)));
            } else if (v != null && v.containsKey("emptyDir")) {
                mounts.add(new PodPlan.Mount(volume, path, readOnly, PodPlan.Mount.Source.EMPTY_DIR, volume, Map.of()));
            } else {
                throw unsupported(workload, "volume " + volume + (v == null ? " (not declared)" : " of type " + v.keySet()));
            }
        }
        return mounts;
    }

    private Map<String, String> secret(String name) {
        Map<String, Object> s = find("Secret", name);
        if (s.containsKey("data")) {
            throw new IllegalArgumentException("Secret " + name + ": only stringData is read (base64 data is not)");
        }
        return strings(s.get("stringData"));
    }

    private Map<String, String> configMap(String name) {
        return strings(find("ConfigMap", name).get("data"));
    }

    private Map<String, Object> find(String kind, String name) {
        return named(kind).stream().filter(o -> name(o).equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the overlay has no " + kind + " named " + name));
    }

    private List<Map<String, Object>> named(String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    /** 3Gi, 1280Mi, 512M ... in bytes. */
    static long bytes(String quantity) {
        Matcher m = QUANTITY.matcher(quantity);
        if (!m.matches()) {
            throw new IllegalArgumentException("memory quantity " + quantity + " is not understood");
        }
        long n = Long.parseLong(m.group(1));
        return n * switch (Objects.requireNonNullElse(m.group(2), "")) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            default -> 1L;
        };
    }

    private static String required(Map<String, String> data, String key, String what) {
        String v = data.get(key);
        if (v == null) {
            throw new IllegalArgumentException(what + ": key " + key + " is missing");
        }
        return v;
    }

    private static IllegalArgumentException unsupported(String workload, String what) {
        return new IllegalArgumentException(workload + ": the container runner does not carry out " + what);
    }

    private static String name(Map<String, Object> o) {
        Object direct = o.get("name");
        return direct != null ? direct.toString() : (String) map(o, "metadata").get("name");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> o, String key) {
        Object v = o == null ? null : o.get(key);
        return v == null ? Map.of() : (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> o, String key) {
        Object v = o.get(key);
        return v == null ? List.of() : (List<Map<String, Object>>) v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> strings(Object v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v != null) {
            ((Map<String, Object>) v).forEach((k, x) -> out.put(k, String.valueOf(x)));
        }
        return out;
    }

    private static List<String> words(Object v) {
        return v == null ? List.of() : ((List<?>) v).stream().map(String::valueOf).toList();
    }
}
