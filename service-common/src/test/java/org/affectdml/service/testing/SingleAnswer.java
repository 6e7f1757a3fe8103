package org.affectdml.service.testing;

import io.grpc.stub.StreamObserver;

import java.util.concurrent.CompletableFuture;

/** The answer of a client-streaming call as a future: its one message, or the call's failure. */
public final class SingleAnswer {

    private SingleAnswer() {
    }

    /** An observer completing {@code answer} with the message (or null when the call ends without one) or the failure. */
    public static <T> StreamObserver<T> into(CompletableFuture<T> answer) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.complete(null);
            }
        };
    }
}
