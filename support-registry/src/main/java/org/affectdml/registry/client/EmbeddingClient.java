package org.affectdml.registry.client;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.EmbedBatchRequest;
import org.affectdml.proto.v1.EmbedPersonsRequest;
import org.affectdml.proto.v1.Embedding;
import org.affectdml.proto.v1.PersonEmbedding;
import org.affectdml.proto.v1.PersonError;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.StageTimings;
import org.affectdml.service.metrics.ServerTiming;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.SceneClass;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.model.StreamVectors;
import org.affectdml.registry.model.SupportEmbeddingEntity;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.transport.FastReconnect;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Calls embedding-service. Its failures keep their meaning for the registry's callers: a bad image or box
 * stays INVALID_ARGUMENT, everything else about the dependency becomes UNAVAILABLE naming it.
 */
@ApplicationScoped
public class EmbeddingClient {

    private static final Logger LOG = Logger.getLogger(EmbeddingClient.class);

    /**
     * An embedding and the model version that produced it; when asked, what the segmenter saw and the stream
     * projections (else empty).
     */
    public record Embedded(float[] values, String modelVersion, List<SceneClass> sceneClasses, StreamVectors streams) {
        Embedded(float[] values, String modelVersion, StreamVectors streams) {
            this(values, modelVersion, List.of(), streams);
        }

        Embedded withScene(List<SceneClass> scene) {
            return new Embedded(values, modelVersion, List.copyOf(scene), streams);
        }
    }

    /** What an answer carries besides the embedding (each costs bytes on the wire, never a model run). */
    public record Extras(boolean sceneClasses, boolean streamProjections) {
        public static final Extras NONE = new Extras(false, false);
        /** For storing a support: its stream projections. */
        public static final Extras STORED = new Extras(false, true);
        /** For explaining an answer. */
        public static final Extras EXPLAIN = new Extras(true, true);
    }

    /** What to embed: encoded image bytes and the person box. */
    public record Item(byte[] image, String mediaType, float x1, float y1, float x2, float y2) {
    }

    @GrpcClient("embedding")
    EmbeddingServiceGrpc.EmbeddingServiceBlockingStub stub;

    @GrpcClient("embedding")
    Channel channel;

    @Inject
    FastReconnect reconnect;

    @Inject
    RegistryConfig config;

    void watchReplicas(@Observes StartupEvent started) {
        reconnect.watch(channel);
    }

    /** Embeds with {@code modelVersion} (empty = the active model). */
    public Embedded embed(Item item, String modelVersion, Extras extras) {
        EmbedRequest request = request(item).setModelVersion(modelVersion)
                .setIncludeSceneClasses(extras.sceneClasses()).setIncludeStreamProjections(extras.streamProjections()).build();
        ServerTiming timing = ServerTiming.current();
        EmbedResponse r = inRounds(s -> s.embed(request));
        recordStages(timing, r.getTimings());
        sawActive(r.getActiveVersion());
        return checked(r).withScene(r.getSceneClassesList());
    }

    /** Embeds the items in one call (scene classes are never asked of a batch). */
    public List<Embedded> embedBatch(List<Item> items, String modelVersion, Extras extras) {
        EmbedBatchRequest.Builder batch = EmbedBatchRequest.newBuilder().setModelVersion(modelVersion)
                .setIncludeStreamProjections(extras.streamProjections());
        items.forEach(i -> batch.addItems(request(i)));
        EmbedBatchRequest request = batch.build();
        List<Embedded> out = new ArrayList<>();
        for (EmbedResponse r : inRounds(s -> s.embedBatch(request)).getItemsList()) {
            out.add(checked(r));
            sawActive(r.getActiveVersion());
        }
        return out;
    }

    /** One person of {@link #embedPersons}: its embedding, or why it has none. */
    public record PersonResult(Embedded embedded, PersonError error) {
    }

    /** Embeds every box of one image in one call (decoded, segmented and encoded once). */
    public List<PersonResult> embedPersons(byte[] image, String mediaType, List<PersonBox> boxes, String modelVersion,
                                           Extras extras) {
        EmbedPersonsRequest request = EmbedPersonsRequest.newBuilder()
                .setImage(Image.newBuilder().setData(ByteString.copyFrom(image)).setMediaType(mediaType))
                .addAllBoxes(boxes).setModelVersion(modelVersion).setIncludeSceneClasses(extras.sceneClasses())
                .setIncludeStreamProjections(extras.streamProjections()).build();
        List<PersonResult> out = new ArrayList<>();
        ServerTiming timing = ServerTiming.current();
        var response = inRounds(s -> s.embedPersons(request));
        recordStages(timing, response.getTimings());
        sawActive(response.getActiveVersion());
        for (PersonEmbedding person : response.getPersonsList()) {
            out.add(person.hasError() ? new PersonResult(null, person.getError())
                    : new PersonResult(checked(person.getEmbedding()).withScene(response.getSceneClassesList()), null));
        }
        return out;
    }

    /** embedding-service's own stages of the call, for a Classify caller that asked for its timings (ServerTiming). */
    private static void recordStages(ServerTiming timing, StageTimings t) {
        timing.record("embedding.total", t.getTotalUs() * 1000);
        timing.record("embedding.decode", t.getDecodeUs() * 1000);
        timing.record("embedding.preprocess", t.getPreprocessUs() * 1000);
        timing.record("embedding.encoders", t.getEncodersUs() * 1000);
        timing.record("embedding.segmentation", t.getSegmentationUs() * 1000);
        timing.record("embedding.segmentation-server", t.getSegmentationServerUs() * 1000);
        timing.record("embedding.head", t.getHeadUs() * 1000);
    }

    /** The model embedding-service serves now (and the one it replaced, still available on request). */
    public ModelInfo model() {
        ModelInfo model = inRounds(s -> s.getModel(GetModelRequest.getDefaultInstance()));
        sawActive(model.getVersion());
        return model;
    }

    /**
     * As {@link #model()}, for an ask ahead of need, within {@code timeout} (an answer later than that is of no use): its
     * active version is not taken as the latest seen, since an Embed answer naming a newer one may have arrived meanwhile.
     */
    public ModelInfo modelAskedAhead(java.time.Duration timeout) {
        return inRounds(timeout, s -> s.getModel(GetModelRequest.getDefaultInstance()));
    }

    /**
     * The active version named by the latest answer of embedding-service (any call; empty before the first): lets
     * {@code ServingVersions} keep GetModel's answer only while embedding-service still names the same active bundle.
     */
    public String lastSeenActive() {
        return lastSeenActive;
    }

    private volatile String lastSeenActive = "";

    private void sawActive(String version) {
        if (!version.isEmpty()) {
            lastSeenActive = version;
        }
    }

    /**
     * Sends the call, and sends it again (up to {@code embedding-call-rounds} times in all) while it ends UNAVAILABLE
     * after its answer had begun: grpc-java's retry policy has already sent again, as often as it may, every call
     * that failed before that, so only a call cut mid-answer (a replica stopping) gets another round, and an outage
     * costs no more attempts than the policy's. All rounds share one deadline: the configured timeout, shortened by
     * grpc-java to the deadline of the call being served, if any (the context {@code IncomingDeadline} sets). Every
     * call here is idempotent (it only computes from its request).
     */
    private <T> T inRounds(Function<EmbeddingServiceGrpc.EmbeddingServiceBlockingStub, T> call) {
        return inRounds(config.embeddingTimeout(), call);
    }

    private <T> T inRounds(java.time.Duration timeout, Function<EmbeddingServiceGrpc.EmbeddingServiceBlockingStub, T> call) {
        Deadline deadline = Deadline.after(timeout.toMillis(), TimeUnit.MILLISECONDS);
        var withRounds = stub.withInterceptors(AnswerBegun.INTERCEPTOR).withDeadline(deadline);
        for (int round = 1; ; round++) {
            AtomicBoolean answerBegun = new AtomicBoolean();
            try {
                return call.apply(withRounds.withOption(AnswerBegun.FLAG, answerBegun));
            } catch (StatusRuntimeException e) {
                if (round >= config.embeddingCallRounds() || e.getStatus().getCode() != Status.Code.UNAVAILABLE || !answerBegun.get()
                        || !timeLeftFor(deadline, config.embeddingRoundPause())) {
                    throw translate(e);
                }
                LOG.debugf("embedding-service call round %d was cut mid-answer (%s); sending it again", round, e.getStatus());
                try {
                    Thread.sleep(config.embeddingRoundPause().toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw translate(e);
                }
            }
        }
    }

    /** Whether the rounds' deadline, and the served call's if any, outlast {@code pause} by at least as much again. */
    private static boolean timeLeftFor(Deadline rounds, Duration pause) {
        Deadline served = Context.current().getDeadline();
        Deadline first = served == null ? rounds : rounds.minimum(served);
        return first.timeRemaining(TimeUnit.MILLISECONDS) > 2 * pause.toMillis();
    }

    private static EmbedRequest.Builder request(Item item) {
        return EmbedRequest.newBuilder()
                .setImage(Image.newBuilder().setData(ByteString.copyFrom(item.image())).setMediaType(item.mediaType()))
                .setBox(PersonBox.newBuilder().setX1(item.x1()).setY1(item.y1()).setX2(item.x2()).setY2(item.y2()));
    }

    private static Embedded checked(EmbedResponse r) {
        return checked(r.getEmbedding());
    }

    private static Embedded checked(Embedding e) {
        int n = e.getValuesCount();
        if (n != SupportEmbeddingEntity.DIMENSION) {
            throw Errors.failedPrecondition("model " + e.getModelVersion() + " gives " + n
                    + "-d embeddings; the registry stores " + SupportEmbeddingEntity.DIMENSION + "-d vectors");
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = e.getValues(i);
        }
        return new Embedded(v, e.getModelVersion(), StreamVectors.of(e.getStreamProjections()));
    }

    private static StatusRuntimeException translate(StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.INVALID_ARGUMENT) {
            return e;
        }
        Deadline callerDeadline = Context.current().getDeadline();
        if (code == Status.Code.CANCELLED || callerDeadline != null && callerDeadline.isExpired()) {
            // the caller's own deadline (propagated) passed or it cancelled: say so rather than blame the dependency
            return code == Status.Code.CANCELLED
                    ? Status.CANCELLED.withDescription("the call was cancelled while embedding-service was working").asRuntimeException()
                    : Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed while embedding-service was working").asRuntimeException();
        }
        return Errors.unavailable("embedding-service: " + code + ": " + e.getStatus().getDescription());
    }
}
