package org.affectdml.segmentation;

import com.google.protobuf.ByteString;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.EncodedImage;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.InvalidImageException;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.segmentation.SegmentationResult;
import org.affectdml.inference.segmentation.SemanticSegmenter;
import org.affectdml.proto.v1.LabelMap;
import org.affectdml.proto.v1.SegmentRequest;
import org.affectdml.proto.v1.SegmentResponse;
import org.affectdml.proto.v1.MutinySegmentationGrpc;
import org.affectdml.proto.v1.StageTimings;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.media.ImageFormats;
import org.affectdml.service.transport.WorkerThreads;
import org.affectdml.serving.InferenceConfig;
import org.affectdml.serving.batching.BatchedImageModels;
import org.affectdml.serving.RequestedVersion;
import org.affectdml.serving.runtime.ConcurrencyLimit;

import java.util.List;

/** gRPC Segment: decode (or take decoded pixels), run the active segmenter, answer Sem2Vec. */
@GrpcService
public class SegmentationGrpcService extends MutinySegmentationGrpc.SegmentationImplBase {

    private final ActiveBundleHolder bundles;
    private final ImageDecoder decoder;
    private final ConcurrencyLimit limit;
    /** Concurrent Segment calls share segmenter runs (affect.batching.*). */
    private final BatchedImageModels models;

    @Inject
    public SegmentationGrpcService(ActiveBundleHolder bundles, InferenceConfig config, ConcurrencyLimit limit,
                                   BatchedImageModels models) {
        this.bundles = bundles;
        this.models = models;
        this.decoder = new ImageDecoder(config.imageLimits(), config.image().turboJpeg());
        this.limit = limit;
    }

    @Override
    public Uni<SegmentResponse> segment(SegmentRequest request) {
        // On a worker thread, one hand-off (WorkerThreads); failures go to the shared gRPC error handler (service-common).
        return WorkerThreads.call(() -> limit.run("Segment", () -> answer(request)));
    }

    private SegmentResponse answer(SegmentRequest request) throws Exception {
        long start = System.nanoTime();
        float minFraction = request.getMinPixelFraction();
        if (!(minFraction >= 0 && minFraction < 1)) {
            throw Errors.invalidArgument("min_pixel_fraction must be in [0, 1), got " + minFraction);
        }
        String version = RequestedVersion.check(request.getModelVersion());
        if (request.getSourceCase() == SegmentRequest.SourceCase.SOURCE_NOT_SET) {
            throw Errors.invalidArgument("request has no image: set image (encoded bytes) or rgb");
        }
        try (ActiveBundleHolder.Lease lease = bundles.lease(version)) {
            RgbImage image = request.getSourceCase() == SegmentRequest.SourceCase.IMAGE
                    ? decode(request.getImage(), lease.bundle().manifest().file(Roles.SEGMENTER).preprocessing())
                    : checkedRaw(request.getRgb());
            long decoded = System.nanoTime();
            SegmentationResult result = SemanticSegmenter.segment(lease.bundle(), List.of(image), minFraction, models).get(0);
            long done = System.nanoTime();
            SegmentResponse.Builder response = SegmentResponse.newBuilder()
                    .setModelVersion(lease.bundle().version())
                    .setSegmenterSha256(lease.bundle().manifest().file(Roles.SEGMENTER).sha256())
                    .addAllClassNames(lease.bundle().segmenterLabels());
            for (float v : result.sem2vec()) {
                response.addSem2Vec(v);
            }
            for (float v : result.pixelFractions()) {
                response.addPixelFractions(v);
            }
            if (request.getIncludeLabelMap()) {
                response.setLabelMap(LabelMap.newBuilder().setWidth(result.width()).setHeight(result.height())
                        .setClassIndices(ByteString.copyFrom(result.labelMap())));
            }
            return response.setTimings(StageTimings.newBuilder()
                    .setDecodeUs((decoded - start) / 1000)
                    .setSegmentationUs((done - decoded) / 1000)
                    .setTotalUs((done - start) / 1000)).build();
        }
    }

    /** Decoded at the smallest scale from which the segmenter's resize still only shrinks. */
    private RgbImage decode(org.affectdml.proto.v1.Image image, Preprocessing segmenter) {
        byte[] bytes = image.getData().toByteArray();
        ImageFormats.check(bytes, image.getMediaType());
        EncodedImage encoded = decoder.open(bytes);
        return decoder.decode(encoded, encoded.whole(), segmenter.minimumScale(encoded.width(), encoded.height())).pixels();
    }

    private RgbImage checkedRaw(org.affectdml.proto.v1.RgbImage raw) {
        long pixels = (long) raw.getWidth() * raw.getHeight();
        if (pixels > decoder.limits().maxPixels()) {
            throw new InvalidImageException("raw image is " + raw.getWidth() + "x" + raw.getHeight() + " = " + pixels
                    + " pixels, above the limit of " + decoder.limits().maxPixels() + " pixels");
        }
        return RgbImage.fromRgbBytes(raw.getWidth(), raw.getHeight(), raw.getData().toByteArray());
    }
}
