package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.quarkus.test.common.http.TestHTTPResource;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.net.URL;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.withKey;

/**
 * For a {@code @QuarkusTest} of the registry over gRPC: a channel to the registry under test, with an admin and a client
 * stub (their keys), opened before each test and closed after it.
 */
abstract class RegistryStubs {

    @TestHTTPResource("/")
    URL url;

    ManagedChannel channel;
    TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin;
    ClassificationGrpc.ClassificationBlockingStub client;

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
        client = withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT_KEY);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }
}
