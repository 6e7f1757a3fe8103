package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** affect embed IMAGE --box x1,y1,x2,y2: the fused embedding of one person. */
@CommandLine.Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed the person in the box of an image with embedding-service.")
public class EmbedCommand implements Callable<Integer> {

    @CommandLine.Mixin
    PersonPhoto photo;

    @CommandLine.Mixin
    EmbeddingOptions embedding;

    @Override
    public Integer call() throws Exception {
        ManagedChannel channel = embedding.channel();
        try {
            EmbedResponse r = embedding.authorized(EmbeddingServiceGrpc.newBlockingStub(channel)).embed(EmbedRequest.newBuilder()
                    .setImage(photo.protoImage())
                    .setBox(photo.personBox())
                    .build());
            List<String> present = new ArrayList<>();
            for (int i = 0; i < r.getSem2VecCount(); i++) {
                if (r.getSem2Vec(i) > 0) {
                    present.add(Integer.toString(i));
                }
            }
            var t = r.getTimings();
            System.out.printf("model %s, %d-d embedding, first values %s%n", r.getEmbedding().getModelVersion(),
                    r.getEmbedding().getValuesCount(), r.getEmbedding().getValuesList().subList(0, Math.min(4, r.getEmbedding().getValuesCount())));
            System.out.printf("Sem2Vec: %d of %d scene classes present%n", present.size(), r.getSem2VecCount());
            System.out.printf("server time %.1f ms (decode %.1f, preprocess %.1f, encoders %.1f, segmentation %.1f, head %.1f)%n",
                    t.getTotalUs() / 1e3, t.getDecodeUs() / 1e3, t.getPreprocessUs() / 1e3, t.getEncodersUs() / 1e3,
                    t.getSegmentationUs() / 1e3, t.getHeadUs() / 1e3);
            return 0;
        } catch (StatusRuntimeException e) {
            return Endpoints.fail(e);
        } finally {
            channel.shutdownNow();
        }
    }
}
