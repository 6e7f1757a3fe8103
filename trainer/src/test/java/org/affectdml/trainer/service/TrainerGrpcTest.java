package org.affectdml.trainer.service;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.ActivateModelRequest;
import org.affectdml.proto.v1.GetJobRequest;
import org.affectdml.proto.v1.JobState;
import org.affectdml.proto.v1.ListModelsRequest;
import org.affectdml.proto.v1.Protocol;
import org.affectdml.proto.v1.StartTrainingRequest;
import org.affectdml.proto.v1.TrainerGrpc;
import org.affectdml.proto.v1.TrainingJob;
import org.affectdml.proto.v1.Variant;
import org.affectdml.trainer.synthetic.SyntheticEmotic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Trainer service over real gRPC: a real job on a synthetic data set, watch, cancel, restart, errors, auth. */
@QuarkusTest
class TrainerGrpcTest {

    static final Path STORE = Path.of("target/test-trainer/model-store");
    static final Path DATASET = Path.of("target/test-trainer/synthetic").toAbsolutePath();

    @TestHTTPResource("/")
    URL url;
    @Inject
    JobManager jobManager;
    @Inject
    TrainerConfig config;

    private ManagedChannel channel;
    private TrainerGrpc.TrainerBlockingStub trainer;

    @BeforeAll
    static void data() throws Exception {
        if (!Files.exists(DATASET.resolve("annotations/train.csv"))) {
            SyntheticEmotic.generate(DATASET, new SyntheticEmotic.Options(500, 64, 64, 5), n -> { });
        }
        if (new ModelStore(STORE).activeVersion().isEmpty()) {
            TinyModels.activeDefaultBundle(STORE);
        }
    }

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        trainer = GrpcTestChannels.withKey(TrainerGrpc.newBlockingStub(channel), "test-admin-key");
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private static StartTrainingRequest request(int epochs) {
        return StartTrainingRequest.newBuilder().setDatasetPath(DATASET.toString()).setProtocol(Protocol.PROTOCOL_CAT_6_6)
                .setVariant(Variant.VARIANT_SEM_IB).setEpochs(epochs).setLearningRate(1e-3).build();
    }

    private static void assertStatus(Status.Code code, String fragment, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(fragment), e.getStatus().getDescription());
    }

    @Test
    void aJobTrainsEvaluatesAndPublishesWhileWatchStreamsItsProgress() throws Exception {
        // cross-entropy only (alpha = 0) on an image-disjoint split: both reach the bundle's manifest
        TrainingJob started = trainer.startTraining(request(3).toBuilder().setActivate(false).setAlpha(0)
                .setSplit(org.affectdml.proto.v1.Split.SPLIT_IMAGE_DISJOINT).build());
        assertEquals(JobState.JOB_STATE_QUEUED, started.getState());
        assertStatus(Status.Code.FAILED_PRECONDITION, "one job runs at a time", () -> trainer.startTraining(request(3)));

        List<TrainingJob> updates = new ArrayList<>();
        Iterator<TrainingJob> stream = trainer.watchJob(GetJobRequest.newBuilder().setJobId(started.getJobId()).build());
        updates.add(stream.next());  // subscribed: the scrape below cannot make the watch miss early phases
        assertEquals(1, PrometheusScrape.of(url.toString()).value("affect_trainer_job_running").orElseThrow());
        stream.forEachRemaining(updates::add);
        TrainingJob last = updates.get(updates.size() - 1);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, last.getState(), last.getMessage());
        assertTrue(updates.stream().map(TrainingJob::getPhase).toList().containsAll(
                List.of("reading", "extracting-features", "training", "evaluating", "publishing")), updates.toString());
        assertEquals(3, last.getEpoch());
        assertTrue(last.getTrainLoss() > 0);
        String version = last.getProducedModelVersion();
        assertTrue(version.startsWith("cat-6-6-sem-ib-"), version);
        assertTrue(last.getMessage().contains("balanced accuracy"), last.getMessage());
        PrometheusScrape metrics = PrometheusScrape.of(url.toString());
        assertEquals(0, metrics.value("affect_trainer_job_running").orElseThrow());
        assertTrue(metrics.value("grpc_server_processing_duration_seconds_bucket", "method", "StartTraining", "le", "0.1").isPresent(),
                metrics.text());

        var models = trainer.listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
        var produced = models.stream().filter(m -> m.getVersion().equals(version)).findFirst().orElseThrow();
        assertEquals("CAT-6:6", produced.getProtocol());
        assertEquals("Sem-IB-DML", produced.getHeadKind());
        assertTrue(produced.getMetricsMap().containsKey("one_shot_mean_balanced"));
        assertFalse(produced.getActive(), "activation was not asked for");
        String manifest = java.nio.file.Files.readString(new ModelStore(STORE).bundleDirectory(version).resolve("manifest.json"));
        assertTrue(manifest.replaceAll("\\s", "").contains("\"metric_loss_weight\":0.0")
                && manifest.replaceAll("\\s", "").contains("\"split\":\"image-disjoint\""), manifest);

        assertStatus(Status.Code.NOT_FOUND, "no bundle 'nope'", () -> trainer.activateModel(ActivateModelRequest.newBuilder().setVersion("nope").build()));
        assertTrue(trainer.activateModel(ActivateModelRequest.newBuilder().setVersion(version).build()).getActive());
        assertEquals(version, new ModelStore(STORE).activeVersion().orElseThrow());
        assertStatus(Status.Code.FAILED_PRECONDITION, "already ended", () -> trainer.cancelJob(GetJobRequest.newBuilder().setJobId(started.getJobId()).build()));
    }

    @Test
    void jointTrainingRefusesAnEncoderItCannotTrainBeforeAnyWork() throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (jobManager.running().isPresent() && System.nanoTime() < deadline) {  // another test's job winding down
            Thread.sleep(50);
        }
        ai.onnx.proto.OnnxMl.ModelProto tiny = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(TinyModels.encoder());
        var graph = tiny.getGraph().toBuilder();
        graph.getNodeBuilder(0).setOpType("LpPool").setName("odd_pool");  // valid ONNX that ONNX Runtime serves
        Path dir = Files.createDirectories(Path.of("target/test-trainer/lp-pool-encoder"));
        var inputs = TinyModels.write(dir);
        Files.write(inputs.imageEncoder(), tiny.toBuilder().setGraph(graph).build().toByteArray());
        String version = new org.affectdml.inference.bundle.DefaultBundleAssembler(org.affectdml.inference.onnx.OrtSessionFactory.cpu(1))
                .assemble(inputs, new ModelStore(STORE));

        assertStatus(Status.Code.FAILED_PRECONDITION, "'odd_pool' is a LpPool", () -> trainer.startTraining(request(1).toBuilder()
                .setBaseModelVersion(version).setEncoderLearningRate(1e-4).build()));
        assertTrue(jobManager.running().isEmpty(), "no job was started");
    }

    @Test
    void aCancelledJobEndsCancelledAndAnotherCanStart() throws Exception {
        TrainingJob started = trainer.startTraining(request(500));
        GetJobRequest job = GetJobRequest.newBuilder().setJobId(started.getJobId()).build();
        // cancelled while it runs: once its watch says RUNNING, not after a guessed sleep
        Iterator<TrainingJob> watch = trainer.watchJob(job);
        TrainingJob end = watch.next();
        while (end.getState() != JobState.JOB_STATE_RUNNING && watch.hasNext()) {
            end = watch.next();
        }
        assertEquals(JobState.JOB_STATE_RUNNING, end.getState(), "the job runs before it is cancelled: " + end.getMessage());
        TrainingJob cancelling = trainer.cancelJob(job);
        assertTrue(cancelling.getMessage().startsWith("cancelling"), cancelling.getMessage());
        while (watch.hasNext()) {
            end = watch.next();
        }
        assertEquals(JobState.JOB_STATE_CANCELLED, end.getState(), end.getMessage());
        assertEquals(JobState.JOB_STATE_CANCELLED, trainer.getJob(GetJobRequest.newBuilder().setJobId(started.getJobId()).build()).getState());
    }

    @Test
    void aJobLeftRunningByACrashIsMarkedInterruptedOnStart() throws Exception {
        JobRecords records = new JobRecords(config.workDir().resolve("jobs"));
        records.save(TrainingJob.newBuilder().setJobId("job-crashed").setState(JobState.JOB_STATE_RUNNING).setPhase("training")
                .setCreated("2026-01-01T00:00:00Z").build());
        jobManager.onStart(null);
        TrainingJob job = trainer.getJob(GetJobRequest.newBuilder().setJobId("job-crashed").build());
        assertEquals(JobState.JOB_STATE_INTERRUPTED, job.getState());
        assertTrue(job.getMessage().contains("stopped while this job was training"), job.getMessage());
    }

    @Test
    void badRequestsAreRefusedWithTheFieldNamed() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "protocol is required", () -> trainer.startTraining(request(1).toBuilder().clearProtocol().build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "dimension is required",
                () -> trainer.startTraining(request(1).toBuilder().setProtocol(Protocol.PROTOCOL_LEV_7_3).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "data set directory not found",
                () -> trainer.startTraining(request(1).toBuilder().setDatasetPath("/no/such/emotic").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "base_model_version 'ghost'",
                () -> trainer.startTraining(request(1).toBuilder().setBaseModelVersion("ghost").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "loss weights alpha (triplet) and beta (cross-entropy)",
                () -> trainer.startTraining(request(1).toBuilder().setAlpha(-1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "not both 0", () -> trainer.startTraining(request(1).toBuilder().setAlpha(0).setBeta(0).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "warmup_steps must not be negative",
                () -> trainer.startTraining(request(1).toBuilder().setWarmupSteps(-1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "warm-up steps must be in [0, 100000]",
                () -> trainer.startTraining(request(1).toBuilder().setWarmupSteps(100_001).build()));
        assertStatus(Status.Code.NOT_FOUND, "no job 'job-none'", () -> trainer.getJob(GetJobRequest.newBuilder().setJobId("job-none").build()));
    }

    @Test
    void hostileStringsAreInvalidArgumentWithABoundedEscapedEcho() {
        String huge = "x".repeat(100_000);
        List<Runnable> calls = List.of(
                () -> trainer.startTraining(request(1).toBuilder().setDatasetPath("emotic\u0000/../x").build()),
                () -> trainer.startTraining(request(1).toBuilder().setDatasetPath("emo\u202Etic").build()),
                () -> trainer.startTraining(request(1).toBuilder().setDatasetPath(huge).build()),
                () -> trainer.startTraining(request(1).toBuilder().setBaseModelVersion(huge).build()),
                () -> trainer.startTraining(request(1).toBuilder().setBaseModelVersion("../x").build()),
                () -> trainer.getJob(GetJobRequest.newBuilder().setJobId(huge).build()),
                () -> trainer.cancelJob(GetJobRequest.newBuilder().setJobId("job\u0000").build()),
                () -> trainer.watchJob(GetJobRequest.newBuilder().setJobId(huge).build()).hasNext(),
                () -> trainer.activateModel(ActivateModelRequest.newBuilder().setVersion("%").build()),
                () -> trainer.activateModel(ActivateModelRequest.newBuilder().setVersion(huge).build()),
                () -> trainer.activateModel(ActivateModelRequest.newBuilder().setVersion("").build()));
        for (Runnable call : calls) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
            String message = e.getStatus().getDescription();
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), message);
            assertTrue(message.length() < 400, message.length() + " characters: " + message);
            assertFalse(message.contains("\u0000") || message.contains("\u202E") || message.contains("x".repeat(100)), message);
        }
    }

    @Test
    void everyTrainerCallNeedsAnAdminKey() {
        var anonymous = TrainerGrpc.newBlockingStub(channel);
        assertStatus(Status.Code.UNAUTHENTICATED, "authorization: Bearer", () -> anonymous.listModels(ListModelsRequest.getDefaultInstance()));
        var wrong = GrpcTestChannels.withKey(TrainerGrpc.newBlockingStub(channel), "not-a-key");
        assertStatus(Status.Code.UNAUTHENTICATED, "unknown API key", () -> wrong.getJob(GetJobRequest.newBuilder().setJobId("x").build()));
        // A valid key of the wrong role is PERMISSION_DENIED, as on every other service.
        var client = GrpcTestChannels.withKey(TrainerGrpc.newBlockingStub(channel), "test-client-key");
        assertStatus(Status.Code.PERMISSION_DENIED, "needs an admin key", () -> client.listModels(ListModelsRequest.getDefaultInstance()));
    }
}
