package org.affectdml.registry.api;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.Classification;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.registry.Classifier;

/** gRPC affect.v1.Classification (client or admin credential). */
@GrpcService
public class ClassificationGrpcService implements Classification {

    @Inject
    Classifier classifier;

    @Override
    @Blocking
    public Uni<ClassifyResponse> classify(ClassifyRequest request) {
        return TaxonomyAdminGrpcService.call(() -> classifier.classify(request));
    }
}
