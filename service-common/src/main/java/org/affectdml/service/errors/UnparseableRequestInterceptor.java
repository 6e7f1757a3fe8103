package org.affectdml.service.errors;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A unary request whose message never arrives parsed, because its bytes are not the declared message (for
 * instance a string field that is not valid UTF-8, which proto3 forbids) or because the client sent none, is the
 * client's error: INVALID_ARGUMENT naming the message type. Without this the transport drops the parse failure
 * and grpc-java answers INTERNAL "Half-closed without a request".
 */
@GlobalInterceptor
@ApplicationScoped
public class UnparseableRequestInterceptor implements ServerInterceptor {

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        if (!call.getMethodDescriptor().getType().clientSendsOneMessage()) {
            return delegate;  // a stream of zero messages is a valid request
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean received;

            @Override
            public void onMessage(Q message) {
                received = true;
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (received) {
                    super.onHalfClose();
                    return;
                }
                String type = call.getMethodDescriptor().getRequestMarshaller() instanceof io.grpc.MethodDescriptor.PrototypeMarshaller<?> p
                        ? p.getMessagePrototype().getClass().getSimpleName() : "request";
                try {
                    call.close(Status.INVALID_ARGUMENT.withDescription("the request is missing or is not a valid " + type
                            + " message (every string field must be valid UTF-8); check the client's generated code"), new Metadata());
                } catch (IllegalStateException alreadyAnswered) {
                    // The transport has answered already (e.g. RESOURCE_EXHAUSTED for an oversize message).
                }
            }
        };
    }
}
