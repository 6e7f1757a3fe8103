package org.affectdml.service.errors;

import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Client-streaming calls whose messages may not parse. The transport decodes each message of a stream before our
 * code sees it, and when one does not parse (invalid UTF-8 in a string, which proto3 forbids, or bytes that are not
 * the message at all) it drops the failure and the stream stalls: the caller waits until its deadline. A service
 * bound through {@link #tolerant} gets such a message as a marked empty message instead, and
 * {@link #requireWellFormed} ends the call with INVALID_ARGUMENT naming its index. Unary calls are covered by
 * {@link UnparseableRequestInterceptor}.
 */
public final class MalformedStreamMessages {

    /** Field number of the marker: the largest proto3 allows, never declared by our messages. */
    private static final int MARKER_FIELD = 536_870_911;
    private static final UnknownFieldSet MARKER = UnknownFieldSet.newBuilder()
            .addField(MARKER_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();

    private MalformedStreamMessages() {
    }

    /** The service with every client-streaming method's request parser made tolerant; other methods unchanged. */
    public static ServerServiceDefinition tolerant(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
        List<MethodDescriptor<?, ?>> descriptors = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> bound = method.getMethodDescriptor().getType().clientSendsOneMessage() ? method : tolerant(method);
            methods.put(bound.getMethodDescriptor().getFullMethodName(), bound);
            descriptors.add(bound.getMethodDescriptor());
        }
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
        descriptors.forEach(descriptor::addMethod);
        ServerServiceDefinition.Builder rebound = ServerServiceDefinition.builder(descriptor.build());
        methods.values().forEach(rebound::addMethod);
        return rebound.build();
    }

    /** INVALID_ARGUMENT naming the message's index (0 = the first) when it did not parse. */
    public static void requireWellFormed(Message message, long index) {
        if (message.getUnknownFields().hasField(MARKER_FIELD)) {
            throw Errors.invalidArgument("message " + index + " of the stream is not a valid " + message.getDescriptorForType().getFullName()
                    + " (every string field must be valid UTF-8); the call is ended, nothing of it is kept");
        }
    }

    private static <Q, A> ServerMethodDefinition<Q, A> tolerant(ServerMethodDefinition<Q, A> method) {
        MethodDescriptor<Q, A> descriptor = method.getMethodDescriptor();
        if (!(descriptor.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Q> parser)
                || !(parser.getMessagePrototype() instanceof Message prototype)) {
            return method;
        }
        @SuppressWarnings("unchecked")
        Q malformed = (Q) prototype.toBuilder().setUnknownFields(MARKER).build();
        MethodDescriptor.PrototypeMarshaller<Q> tolerantParser = new MethodDescriptor.PrototypeMarshaller<>() {
            @Override
            public Q getMessagePrototype() {
                return parser.getMessagePrototype();
            }

            @Override
            public Class<Q> getMessageClass() {
                return parser.getMessageClass();
            }

            @Override
            public InputStream stream(Q value) {
                return parser.stream(value);
            }

            @Override
            public Q parse(InputStream stream) {
                try {
                    return parser.parse(stream);
                } catch (RuntimeException unparseable) {
                    return malformed;
                }
            }
        };
        return ServerMethodDefinition.create(descriptor.toBuilder().setRequestMarshaller(tolerantParser).build(), method.getServerCallHandler());
    }
}
