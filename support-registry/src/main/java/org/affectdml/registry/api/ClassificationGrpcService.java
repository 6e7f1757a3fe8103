package org.affectdml.registry.api;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyPersonsResponse;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.MutinyClassificationGrpc;
import org.affectdml.registry.service.ClassificationService;

/** gRPC affect.v1.Classification (client or admin credential). */
@GrpcService
public class ClassificationGrpcService extends MutinyClassificationGrpc.ClassificationImplBase {

    @Inject
    ClassificationService classification;

    @Override
    @Blocking
    public Uni<ClassifyResponse> classify(ClassifyRequest request) {
        return Uni.createFrom().item(() -> classification.classify(request));
    }

    @Override
    @Blocking
    public Uni<ClassifyPersonsResponse> classifyPersons(ClassifyPersonsRequest request) {
        return Uni.createFrom().item(() -> classification.classifyPersons(request));
    }
}
