package org.affectdml.deploy.stack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the container runner reads from the committed rendering of the CPU overlay (no container engine needed). */
class RenderedOverlayTest {

    private static final Path CPU = Path.of("..").toAbsolutePath().normalize().resolve("deploy/k8s/rendered/cpu.yaml");

    @Test
    void everyKindIsCarriedOutOrKnownToNeedACluster() throws Exception {
        assertEquals(List.of(), RenderedOverlay.read(CPU).unknownKinds());
    }

    @Test
    void theWorkloadsAreResolvedAsTheManifestsSay() throws Exception {
        RenderedOverlay overlay = RenderedOverlay.read(CPU);
        assertEquals(List.of("embedding-service", "postgres", "segmentation-service", "support-registry", "trainer"),
                overlay.workloads().stream().map(PodPlan::workload).sorted().toList());

        PodPlan embedding = overlay.workload("embedding-service");
        assertEquals(2, embedding.replicas());
        assertEquals(3L << 30, embedding.memoryLimitBytes());
        assertEquals(PodPlan.Probe.Kind.HTTP, embedding.readiness().kind());
        assertEquals("/q/health/ready", embedding.readiness().path());
        assertEquals(embedding.port("management"), embedding.readiness().port());
        assertEquals(PodPlan.Probe.Kind.GRPC, embedding.liveness().kind());
        assertEquals(embedding.port("http"), embedding.liveness().port());
        assertEquals(3, embedding.preStopSleepSeconds());
        assertEquals(30, embedding.terminationGraceSeconds());
        assertTrue(embedding.runAsNonRoot());
        assertEquals("cpu", embedding.env().get("AFFECT_EXECUTION_PROVIDER"), "the overlay's patch");
        assertEquals("5s", embedding.env().get("AFFECT_SHUTDOWN_DELAY"), "envFrom the observability ConfigMap");
        assertEquals("change-me-service", embedding.env().get("AFFECT_SERVICE_KEY"), "secretKeyRef");

        PodPlan registry = overlay.workload("support-registry");
        assertEquals(1280L << 20, registry.memoryLimitBytes());
        assertEquals("change-me-admin", registry.env().get("AFFECT_ADMIN_KEYS"));
        assertEquals(PodPlan.Mount.Source.EMPTY_DIR, registry.mounts().get(0).source());

        PodPlan postgres = overlay.workload("postgres");
        assertEquals("StatefulSet", postgres.kind());
        assertEquals(PodPlan.Probe.Kind.EXEC, postgres.readiness().kind());
        assertEquals("pg_isready", postgres.readiness().command().get(0));
        PodPlan.Mount init = postgres.mounts().stream().filter(m -> m.source() == PodPlan.Mount.Source.CONFIG_MAP).findFirst().orElseThrow();
        assertEquals("/docker-entrypoint-initdb.d", init.mountPath());
        assertTrue(init.files().values().stream().anyMatch(sql -> sql.contains("CREATE EXTENSION IF NOT EXISTS vector")));
        assertTrue(postgres.mounts().stream().anyMatch(m -> m.source() == PodPlan.Mount.Source.CLAIM_TEMPLATE));
        assertEquals(4L << 30, postgres.memoryLimitBytes());
    }

    @Test
    void whatTheRunnerCannotCarryOutIsRefusedByName(@TempDir Path tmp) throws Exception {
        Path yaml = Files.writeString(tmp.resolve("pod.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: odd}
                spec:
                  template:
                    metadata: {labels: {app: odd}}
                    spec:
                      containers:
                        - name: odd
                          image: example/odd:1
                          lifecycle:
                            preStop: {exec: {command: [sh, -c, "sleep 3"]}}
                ---
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: nightly}
                """);
        RenderedOverlay overlay = RenderedOverlay.read(yaml);
        assertEquals(List.of("CronJob"), overlay.unknownKinds());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> overlay.workload("odd"));
        assertTrue(refused.getMessage().contains("odd") && refused.getMessage().contains("preStop"), refused.getMessage());
    }

    @Test
    void memoryQuantities() {
        assertEquals(3L << 30, RenderedOverlay.bytes("3Gi"));
        assertEquals(1280L << 20, RenderedOverlay.bytes("1280Mi"));
        assertEquals(512_000_000L, RenderedOverlay.bytes("512M"));
        assertThrows(IllegalArgumentException.class, () -> RenderedOverlay.bytes("3 GB"));
    }
}
