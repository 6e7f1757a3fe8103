package org.affectdml.service.testing;

import io.grpc.ManagedChannel;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** What a generic gRPC tool sees first: the services a server lists through reflection (grpc.reflection.v1). */
public final class GrpcReflection {

    private GrpcReflection() {
    }

    public static List<String> listServices(ManagedChannel channel) throws Exception {
        CompletableFuture<List<String>> names = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse response) {
                names.complete(response.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
            }

            @Override
            public void onError(Throwable t) {
                names.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                names.complete(List.of());
            }
        });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        return names.get(10, TimeUnit.SECONDS);
    }
}
