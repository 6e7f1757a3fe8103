package org.affectdml.registry.api;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyPersonsResponse;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.MutinyClassificationGrpc;
import org.affectdml.registry.service.ClassificationService;
import org.affectdml.service.transport.WorkerThreads;

/** gRPC affect.v1.Classification (client or admin credential). The work runs on a worker thread, one hand-off (WorkerThreads). */
@GrpcService
public class ClassificationGrpcService extends MutinyClassificationGrpc.ClassificationImplBase {

    @Inject
    ClassificationService classification;

    @Override
    public Uni<ClassifyResponse> classify(ClassifyRequest request) {
        return WorkerThreads.call(() -> classification.classify(request));
    }

    @Override
    public Uni<ClassifyPersonsResponse> classifyPersons(ClassifyPersonsRequest request) {
        return WorkerThreads.call(() -> classification.classifyPersons(request));
    }
}
