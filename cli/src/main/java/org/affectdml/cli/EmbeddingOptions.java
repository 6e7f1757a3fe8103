package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.AbstractStub;
import picocli.CommandLine;

/** Where embedding-service is and which service key to present (it answers only callers with one). */
public class EmbeddingOptions {

    @CommandLine.Option(names = "--target", defaultValue = "${AFFECT_EMBEDDING_TARGET:-localhost:8102}",
            description = "embedding-service host:port (default ${DEFAULT-VALUE})")
    String target;

    @CommandLine.Option(names = "--key", defaultValue = "${AFFECT_SERVICE_KEY:-}",
            description = "service key (default: $AFFECT_SERVICE_KEY); embedding-service refuses calls without one")
    String key;

    ManagedChannel channel() {
        return Endpoints.channel(target);
    }

    <S extends AbstractStub<S>> S authorized(S stub) {
        return Endpoints.withKey(stub, key);
    }
}
