package org.affectdml.cli;

import com.google.protobuf.ByteString;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What both benchmark commands take and do first: the model store the services serve from, the photo and box,
 * how many requests, and the raw ONNX Runtime timing of the active bundle's models (the ratio's denominator).
 */
public class BenchmarkRun {

    @CommandLine.Option(names = "--store", required = true, description = "model store whose active bundle the services serve")
    Path store;

    @CommandLine.Option(names = "--image", required = true, description = "JPEG or PNG image")
    Path image;

    @CommandLine.Option(names = "--box", required = true, description = "person box x1,y1,x2,y2")
    String box;

    @CommandLine.Option(names = "--requests", defaultValue = "50", description = "measured requests (default ${DEFAULT-VALUE})")
    int requests;

    @CommandLine.Option(names = "--warmup", defaultValue = "5", description = "unmeasured requests first (default ${DEFAULT-VALUE})")
    int warmup;

    @CommandLine.Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads for the raw runs; 0 = all cores, as the services")
    int threads;

    private byte[] bytes;
    private String version;

    /** Checks the options and reads the image; returns the store's active version, which the services should serve. */
    String prepare() throws IOException {
        if (requests < 1 || warmup < 0) {
            throw new IllegalArgumentException("--requests must be >= 1 and --warmup >= 0");
        }
        bytes = Endpoints.read(image);
        Endpoints.parseBox(box);
        version = new ModelStore(store).activeVersion().orElseThrow(() -> new IllegalArgumentException("no active bundle in " + store));
        return version;
    }

    /** Microseconds per run of the raw models (segmenter, encoders, head) on this image and box. */
    long[] rawTimings() throws Exception {
        return RawOnnxRuntimeTiming.measure(new ModelStore(store), version, bytes, Endpoints.parseBox(box), threads, warmup, requests);
    }

    /** The raw timings with {@code paired} run after each raw iteration (see RawOnnxRuntimeTiming.measure). */
    long[] rawTimings(RawOnnxRuntimeTiming.Paired paired) throws Exception {
        return RawOnnxRuntimeTiming.measure(new ModelStore(store), version, bytes, Endpoints.parseBox(box), threads, warmup, requests, 1,
                paired);
    }

    Image protoImage() {
        return Image.newBuilder().setData(ByteString.copyFrom(bytes)).build();
    }

    /** The image with the same pixels and different bytes for each n, so the scene cache never answers. */
    Image protoImage(long n) {
        return Image.newBuilder().setData(ByteString.copyFrom(DistinctCopies.copy(bytes, n))).build();
    }

    PersonBox personBox() {
        return Endpoints.personBox(Endpoints.parseBox(box));
    }
}
