package org.affectdml.embedding;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.proto.v1.SegmentationGrpc;
import org.affectdml.proto.v1.SegmentRequest;
import org.affectdml.proto.v1.SegmentResponse;
import org.affectdml.service.errors.Errors;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sem2Vec from segmentation-service. Sends the pixels already decoded and resized to the segmenter's input
 * (no second decode, about 0.8 MB for SegFormer whatever the photo), names the bundle version it must use,
 * checks that the service ran the same segmenter file as this bundle names, and maps its failures to
 * UNAVAILABLE so the caller knows to retry.
 */
final class RemoteSem2Vec implements Sem2VecSource {

    private static final Logger LOG = Logger.getLogger(RemoteSem2Vec.class);

    private final SegmentationGrpc.SegmentationStub client;
    private final Duration timeout;

    RemoteSem2Vec(SegmentationGrpc.SegmentationStub client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<List<Segmented>> start(LoadedBundle bundle, List<RgbImage> segmenterInputs) {
        String expectedSha = bundle.manifest().file(Roles.SEGMENTER).sha256();
        // The served call's deadline (IncomingDeadline): grpc-java bounds the calls below by it on its own, this
        // copy only tells the failure "the caller's time ran out" apart from "segmentation-service is in trouble".
        Deadline callerDeadline = Context.current().getDeadline();
        List<CompletableFuture<Segmented>> calls = new ArrayList<>();
        for (RgbImage image : segmenterInputs) {
            SegmentRequest request = SegmentRequest.newBuilder()
                    .setModelVersion(bundle.version())
                    .setRgb(org.affectdml.proto.v1.RgbImage.newBuilder().setWidth(image.width()).setHeight(image.height())
                            .setData(ByteString.copyFrom(image.toRgbBytes())))
                    .build();
            WholeAnswer<SegmentResponse> answer = new WholeAnswer<>();
            // The answer is handled on the transport thread that received it (small: Sem2Vec and fractions), not passed
            // to another executor first: the thread waiting for it is woken once, not twice.
            client.withExecutor(Runnable::run).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).segment(request, answer);
            calls.add(answer.future
                    .thenApply(response -> segmented(response, expectedSha, bundle.version()))
                    .exceptionally(e -> {
                        throw toUnavailable(e, callerDeadline);
                    }));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> calls.stream().map(CompletableFuture::join).toList());
    }

    private static Segmented segmented(SegmentResponse response, String expectedSha, String bundleVersion) {
        if (!response.getSegmenterSha256().equals(expectedSha)) {
            throw Errors.unavailable("segmentation-service runs segmenter " + response.getSegmenterSha256()
                    + " (bundle " + response.getModelVersion() + "), bundle " + bundleVersion + " needs " + expectedSha
                    + "; the two services are switching bundles, retry shortly");
        }
        float[] sem2vec = new float[response.getSem2VecCount()];
        for (int i = 0; i < sem2vec.length; i++) {
            sem2vec[i] = response.getSem2Vec(i);
        }
        float[] fractions = new float[response.getPixelFractionsCount()];
        for (int i = 0; i < fractions.length; i++) {
            fractions[i] = response.getPixelFractions(i);
        }
        return new Segmented(sem2vec, fractions, response.getTimings().getTotalUs());
    }

    private static RuntimeException toUnavailable(Throwable e, Deadline callerDeadline) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof StatusRuntimeException s) {
            Status.Code code = s.getStatus().getCode();
            String description = s.getStatus().getDescription();
            if (code == Status.Code.INVALID_ARGUMENT) {
                return s;  // it refused the pixels themselves (e.g. a lower pixel limit there): the client's problem
            }
            if (callerDeadline != null && callerDeadline.isExpired()) {
                return Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed while segmentation-service was working")
                        .asRuntimeException();
            }
            if (code == Status.Code.UNAVAILABLE && description != null && description.startsWith("segmentation-service")) {
                return s;  // our own segmenter-mismatch answer
            }
            return Errors.unavailable("segmentation-service answered " + code + ": " + description);
        }
        // not a status: a local failure of the call; its details go to the log, not to the client
        LOG.warn("segmentation-service call failed", cause);
        return Errors.unavailable("segmentation-service call failed; retry shortly");
    }

    /**
     * Completes with the answer once the call has ended (trailers received), not on its message. The Embed call that
     * started it answers, and its gRPC context is cancelled, right after this completes: completing on the message
     * (as Mutiny's unary stubs do) let that cancellation reset the finished Segment stream (RST_STREAM CANCEL) before
     * its trailers, and while segmentation-service was closing an aged connection such resets were followed by a
     * connection error (PROTOCOL_ERROR, raised writing the trailers) that failed every other call on it (ConnectionAgeIT).
     */
    private static final class WholeAnswer<T> implements StreamObserver<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        private T value;

        @Override
        public void onNext(T value) {
            this.value = value;
        }

        @Override
        public void onError(Throwable t) {
            future.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            if (value == null) {
                future.completeExceptionally(Status.INTERNAL.withDescription("the call ended without an answer").asRuntimeException());
            } else {
                future.complete(value);
            }
        }
    }
}
