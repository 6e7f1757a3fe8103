package org.affectdml.cli;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.LabelledQuery;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Streams labelled queries to StartEvaluation from a CSV manifest, one image read at a time and only as fast as the
 * connection takes them (grpc-java's isReady), so any number of images needs one image's memory.
 * <p>Manifest: one line per query, {@code image,x1,y1,x2,y2,class}; the image path relative to the manifest; an
 * empty class for a person of none of the taxonomy's classes; a first line starting with {@code image,} is a header;
 * blank lines and lines starting with {@code #} are skipped.
 */
final class LabelledQueryUpload {

    /** One manifest line. */
    record Entry(Path image, float[] box, String className, int line) {
    }

    private LabelledQueryUpload() {
    }

    static List<Entry> readManifest(Path manifest) throws IOException {
        if (!Files.isRegularFile(manifest)) {
            throw new IllegalArgumentException("no such manifest: " + manifest);
        }
        Path base = manifest.toAbsolutePath().getParent();
        List<Entry> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || i == 0 && line.startsWith("image,")) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != 6) {
                throw new IllegalArgumentException(manifest + " line " + (i + 1) + ": expected image,x1,y1,x2,y2,class, got " + f.length + " fields");
            }
            float[] box = Endpoints.parseBox(f[1] + "," + f[2] + "," + f[3] + "," + f[4]);
            out.add(new Entry(base.resolve(f[0].strip()), box, f[5].strip(), i + 1));
        }
        return out;
    }

    /** The query of a manifest entry, its image read now. */
    static LabelledQuery query(Entry e) {
        try {
            return LabelledQuery.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(Endpoints.read(e.image()))))
                    .setBox(Endpoints.personBox(e.box())).setClassName(e.className()).build();
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
    }

    /**
     * Uploads the header and {@code count} queries, query i made by {@code query} only when the connection can take
     * it; returns the job the registry started. {@code progress} gets the count sent.
     */
    static EvaluationJob upload(TaxonomyAdminGrpc.TaxonomyAdminStub stub, String taxonomy, float targetFalseAcceptRate,
                                int count, java.util.function.IntFunction<LabelledQuery> query,
                                java.util.function.IntConsumer progress) throws Exception {
        CompletableFuture<EvaluationJob> answer = new CompletableFuture<>();
        CompletableFuture<ClientCallStreamObserver<EvaluationUpload>> started = new CompletableFuture<>();
        stub.startEvaluation(new ClientResponseObserver<EvaluationUpload, EvaluationJob>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<EvaluationUpload> requests) {
                started.complete(requests);
            }

            @Override
            public void onNext(EvaluationJob job) {
                answer.complete(job);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        ClientCallStreamObserver<EvaluationUpload> requests = started.get();
        try {
            requests.onNext(EvaluationUpload.newBuilder().setHeader(EvaluationHeader.newBuilder().setTaxonomy(taxonomy)
                    .setTargetFalseAcceptRate(targetFalseAcceptRate)).build());
            for (int i = 0; i < count; i++) {
                while (!requests.isReady() && !answer.isDone()) {
                    Thread.sleep(2);  // the transport's buffer is full: wait, rather than queue images in memory
                }
                if (answer.isDone()) {
                    break;  // the registry refused the upload; its status says why
                }
                requests.onNext(EvaluationUpload.newBuilder().setQuery(query.apply(i)).build());
                progress.accept(i + 1);
            }
            requests.onCompleted();
        } catch (RuntimeException | InterruptedException e) {
            requests.cancel("the client failed while uploading", e);
            throw e;
        }
        try {
            return answer.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
