package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.AbstractStub;
import picocli.CommandLine;

/** Where support-registry is and which API key to send. */
public class RegistryOptions {

    @CommandLine.Option(names = "--registry", defaultValue = "${AFFECT_REGISTRY_TARGET:-localhost:8103}",
            description = "support-registry host:port (default ${DEFAULT-VALUE})")
    String target;

    @CommandLine.Option(names = "--key", defaultValue = "${AFFECT_API_KEY:-}",
            description = "API key (default: $AFFECT_API_KEY); admin commands need an admin key")
    String key;

    ManagedChannel channel() {
        return Endpoints.channel(target);
    }

    <S extends AbstractStub<S>> S authorized(S stub) {
        return Endpoints.withKey(stub, key);
    }
}
