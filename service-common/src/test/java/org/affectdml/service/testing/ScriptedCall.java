package org.affectdml.service.testing;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * A client call that never reaches a server, for channels that stand in for one in tests: it answers {@code response}
 * (headers, the message, OK) when the request is complete, or nothing at all when {@code response} is null.
 */
public final class ScriptedCall<Q, A> extends ClientCall<Q, A> {

    private final A response;
    private Listener<A> listener;

    public ScriptedCall(A response) {
        this.response = response;
    }

    @Override
    public void start(Listener<A> responseListener, Metadata headers) {
        listener = responseListener;
    }

    @Override
    public void request(int numMessages) {
    }

    @Override
    public void cancel(String message, Throwable cause) {
    }

    @Override
    public void halfClose() {
        if (response != null) {
            listener.onHeaders(new Metadata());
            listener.onMessage(response);
            listener.onClose(Status.OK, new Metadata());
        }
    }

    @Override
    public void sendMessage(Q message) {
    }
}
