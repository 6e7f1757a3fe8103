package org.affectdml.registry;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replica tests' load generator counts every failed call, gRPC status or not: a load thread that died on an
 * unexpected exception would make "no call failed" true by silence. A channel that answers two calls in three and
 * throws on the third stands in for the registry.
 */
class ClassifyLoadTest {

    @Test
    void aCallThatThrowsSomethingOtherThanAStatusIsCountedAndTheLoadGoesOn() throws Exception {
        ClassifyLoad load = new ClassifyLoad(ClassificationGrpc.newBlockingStub(new EveryThirdCallThrows()),
                List.of(ClassifyRequest.getDefaultInstance()), 2);
        try {
            load.awaitAnswered(30);
        } finally {
            load.close();
        }
        List<String> failures = load.failures();
        assertTrue(!failures.isEmpty() && failures.stream().allMatch(f -> f.contains("IllegalStateException: third call")), failures.toString());
        assertTrue(load.answered() >= 30 && failures.size() >= load.answered() / 2 - 2,
                "the threads went on after a failure: " + load.answered() + " answered, " + failures.size() + " failed");
    }

    /** Answers every call with an empty ClassifyResponse, except every third, which throws before it starts. */
    private static final class EveryThirdCallThrows extends Channel {
        private final AtomicInteger calls = new AtomicInteger();

        @Override
        @SuppressWarnings("unchecked")
        public <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, CallOptions options) {
            if (calls.incrementAndGet() % 3 == 0) {
                throw new IllegalStateException("third call");
            }
            return new org.affectdml.service.testing.ScriptedCall<>((A) ClassifyResponse.getDefaultInstance());
        }

        @Override
        public String authority() {
            return "stand-in";
        }
    }
}
