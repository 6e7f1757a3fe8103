package org.affectdml.service.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.StreamObserver;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test stubs never wait for ever: a call without a deadline of its own gets the default one, a call with one keeps it.
 * A channel that only records each call's options stands in for the server.
 */
class GrpcTestChannelsTest {

    @Test
    void aStubWithAKeyGetsTheDefaultDeadlineUnlessItSetsItsOwn() {
        RecordingChannel channel = new RecordingChannel();
        var stub = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newStub(channel), "k");

        stub.getModel(GetModelRequest.getDefaultInstance(), ignored());
        Deadline applied = channel.calls.get(0).getDeadline();
        assertNotNull(applied, "a call without a deadline of its own gets the default");
        long secondsLeft = applied.timeRemaining(TimeUnit.SECONDS);
        assertTrue(secondsLeft > TimeUnit.MINUTES.toSeconds(GrpcTestChannels.DEFAULT_DEADLINE_MINUTES) - 10
                && secondsLeft <= TimeUnit.MINUTES.toSeconds(GrpcTestChannels.DEFAULT_DEADLINE_MINUTES), "seconds left: " + secondsLeft);

        stub.withDeadlineAfter(3, TimeUnit.SECONDS).getModel(GetModelRequest.getDefaultInstance(), ignored());
        assertTrue(channel.calls.get(1).getDeadline().timeRemaining(TimeUnit.SECONDS) <= 3, "the call's own deadline is kept");
        assertEquals(2, channel.calls.size());
    }

    private static StreamObserver<ModelInfo> ignored() {
        return new StreamObserver<>() {
            @Override
            public void onNext(ModelInfo value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    /** Records the options of every call and sends nothing anywhere. */
    private static final class RecordingChannel extends Channel {
        final List<CallOptions> calls = new ArrayList<>();

        @Override
        public <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, CallOptions options) {
            calls.add(options);
            return new ScriptedCall<>(null);
        }

        @Override
        public String authority() {
            return "recording";
        }
    }
}
