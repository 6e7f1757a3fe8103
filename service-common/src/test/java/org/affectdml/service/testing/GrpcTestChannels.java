package org.affectdml.service.testing;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import java.net.URL;

/** A plaintext channel to a service under test, from its HTTP URL (gRPC shares the HTTP port). */
public final class GrpcTestChannels {

    private GrpcTestChannels() {
    }

    public static ManagedChannel to(URL serviceUrl) {
        return ManagedChannelBuilder.forAddress(serviceUrl.getHost(), serviceUrl.getPort()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    /** The stub sending "authorization: Bearer KEY" on every call. */
    public static <S extends io.grpc.stub.AbstractStub<S>> S withKey(S stub, String key) {
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return stub.withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
    }
}
