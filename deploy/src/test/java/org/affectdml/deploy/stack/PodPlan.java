package org.affectdml.deploy.stack;

import java.util.List;
import java.util.Map;

/**
 * One workload's pod, as a rendered manifest describes it and as the runner needs it: everything resolved (Secrets
 * and ConfigMaps into the environment, named ports into numbers, quantities into bytes).
 */
public record PodPlan(String workload, String kind, int replicas, Map<String, String> labels, String image, List<String> command,
                      List<String> args, Map<String, String> env, Map<String, Integer> ports, Probe startup, Probe readiness,
                      Probe liveness, Long memoryLimitBytes, List<Mount> mounts, int preStopSleepSeconds,
                      int terminationGraceSeconds, boolean runAsNonRoot) {

    public int port(String name) {
        Integer p = ports.get(name);
        if (p == null) {
            throw new IllegalArgumentException(workload + " has no port named " + name + " (" + ports.keySet() + ")");
        }
        return p;
    }

    /** A probe of kind HTTP (path, port), GRPC (port) or EXEC (command). */
    public record Probe(Kind kind, String path, int port, List<String> command, int periodSeconds, int failureThreshold,
                        int initialDelaySeconds, int timeoutSeconds) {
        public enum Kind { HTTP, GRPC, EXEC }
    }

    /** A volume mounted into the container; its source is a claim, a ConfigMap's files, an emptyDir or a claim template. */
    public record Mount(String volume, String mountPath, boolean readOnly, Source source, String sourceName,
                        Map<String, String> files) {
        public enum Source { CLAIM, CONFIG_MAP, EMPTY_DIR, CLAIM_TEMPLATE }
    }
}
