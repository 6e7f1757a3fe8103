package org.affectdml.registry.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Notes whether a call's answer had begun (its response headers arrived) before it ended. grpc-java's retry policy
 * sends a failed call again only until then; a call cut after it (a replica stopping mid-answer) is the one only
 * the caller can send again. The flag travels in the call's options: {@code stub.withOption(FLAG, flag)}.
 */
final class AnswerBegun implements ClientInterceptor {

    static final CallOptions.Key<AtomicBoolean> FLAG = CallOptions.Key.create("affect-answer-begun");
    static final AnswerBegun INTERCEPTOR = new AnswerBegun();

    private AnswerBegun() {
    }

    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        AtomicBoolean flag = options.getOption(FLAG);
        ClientCall<Q, A> call = next.newCall(method, options);
        if (flag == null) {
            return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            @Override
            public void start(Listener<A> listener, Metadata headers) {
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onHeaders(Metadata answerHeaders) {
                        flag.set(true);
                        super.onHeaders(answerHeaders);
                    }
                }, headers);
            }
        };
    }
}
