package org.affectdml.service.testing;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a dependency that is up but failing: a real gRPC server (grpc-java, its own deadline handling)
 * that answers every unary call of any service UNAVAILABLE (before or after its response headers) and records what
 * arrived, so a test sees how many attempts a client made, how large each was and how much time the caller's deadline
 * left it.
 */
public final class UnavailableDependency implements AutoCloseable {

    /** One call as the server saw it. */
    public record Attempt(String method, int requestBytes, Long deadlineMillis) {
    }

    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final Server server;
    private volatile boolean answerHeadersFirst;

    private static UnavailableDependency shared;

    /** One stand-in per test JVM, started on first use (a test profile needs its port before the test runs). */
    public static synchronized UnavailableDependency shared() {
        if (shared == null) {
            try {
                shared = new UnavailableDependency();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    public UnavailableDependency() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxInboundMessageSize(256 * 1024 * 1024)
                .fallbackHandlerRegistry(new HandlerRegistry() {
                    @Override
                    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
                        MethodDescriptor<byte[], byte[]> method = RawBytes.unary(methodName);
                        ServerCallHandler<byte[], byte[]> handler = (call, headers) -> {
                            call.request(1);
                            return new ServerCall.Listener<>() {
                                @Override
                                public void onMessage(byte[] request) {
                                    Deadline deadline = Context.current().getDeadline();
                                    attempts.add(new Attempt(methodName, request.length,
                                            deadline == null ? null : deadline.timeRemaining(TimeUnit.MILLISECONDS)));
                                    if (answerHeadersFirst) {
                                        // the answer has begun: the client's call is committed and grpc-java retries it no more
                                        call.sendHeaders(new Metadata());
                                    }
                                    call.close(Status.UNAVAILABLE.withDescription("stand-in dependency is failing"), new Metadata());
                                }
                            };
                        };
                        return ServerMethodDefinition.create(method, handler);
                    }
                })
                .build().start();
    }

    public int port() {
        return server.getPort();
    }

    /** The calls received so far, in arrival order. */
    public List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /** Forgets the calls received and fails the next ones before any answer begins. */
    public void clear() {
        attempts.clear();
        answerHeadersFirst = false;
    }

    /**
     * Sends response headers before failing, as a replica that stops in the middle of its answer does: such a call is
     * committed, and grpc-java's retry policy does not send it again.
     */
    public void answerHeadersFirst() {
        answerHeadersFirst = true;
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
