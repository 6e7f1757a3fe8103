package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.ModelInfo;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/** affect model: the bundle embedding-service serves. */
@CommandLine.Command(name = "model", mixinStandardHelpOptions = true, description = "Show the model bundle embedding-service serves.")
public class ModelCommand implements Callable<Integer> {

    @CommandLine.Mixin
    EmbeddingOptions embedding;

    @Override
    public Integer call() {
        ManagedChannel channel = embedding.channel();
        try {
            ModelInfo m = embedding.authorized(EmbeddingServiceGrpc.newBlockingStub(channel)).getModel(GetModelRequest.getDefaultInstance());
            System.out.printf("version %s%nhead %s, %d-d embedding%ncreated %s%n", m.getVersion(), m.getHeadKind(),
                    m.getEmbeddingDimension(), m.getCreated());
            m.getFileSha256Map().forEach((role, sha) -> System.out.printf("  %-17s %s%n", role, sha));
            return 0;
        } catch (StatusRuntimeException e) {
            return Endpoints.fail(e);
        } finally {
            channel.shutdownNow();
        }
    }
}
