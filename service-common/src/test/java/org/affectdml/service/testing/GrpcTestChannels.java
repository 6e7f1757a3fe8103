package org.affectdml.service.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;

import java.net.URL;
import java.util.concurrent.TimeUnit;

/**
 * A plaintext channel to a service under test, from its HTTP URL (gRPC shares the HTTP port), and stubs with an API
 * key. Every call through either gets a deadline of {@link #DEFAULT_DEADLINE_MINUTES} minutes unless it sets its
 * own: a service that stops answering fails the test instead of hanging the suite.
 */
public final class GrpcTestChannels {

    public static final long DEFAULT_DEADLINE_MINUTES = 5;

    private static final ClientInterceptor DEFAULT_DEADLINE = new ClientInterceptor() {
        @Override
        public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
            return next.newCall(method, options.getDeadline() != null ? options
                    : options.withDeadlineAfter(DEFAULT_DEADLINE_MINUTES, TimeUnit.MINUTES));
        }
    };

    private GrpcTestChannels() {
    }

    public static ManagedChannel to(URL serviceUrl) {
        return ManagedChannelBuilder.forAddress(serviceUrl.getHost(), serviceUrl.getPort()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).intercept(DEFAULT_DEADLINE).build();
    }

    /** The stub sending "authorization: Bearer KEY" on every call (with the default deadline unless it has one). */
    public static <S extends io.grpc.stub.AbstractStub<S>> S withKey(S stub, String key) {
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return stub.withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers), DEFAULT_DEADLINE);
    }
}
