package org.affectdml.service.testing;

import io.grpc.MethodDescriptor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** gRPC messages as raw bytes, for tests that send or receive what no generated stub would. */
public final class RawBytes {

    public static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private RawBytes() {
    }

    /** A client-streaming method of any name whose messages are raw bytes. */
    public static MethodDescriptor<byte[], byte[]> clientStreaming(String fullMethodName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
                .setFullMethodName(fullMethodName).setRequestMarshaller(MARSHALLER).setResponseMarshaller(MARSHALLER).build();
    }

    /** A unary method of any name whose request and response are raw bytes. */
    public static MethodDescriptor<byte[], byte[]> unary(String fullMethodName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullMethodName).setRequestMarshaller(MARSHALLER).setResponseMarshaller(MARSHALLER).build();
    }
}
