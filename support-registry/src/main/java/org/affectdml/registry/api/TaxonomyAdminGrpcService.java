package org.affectdml.registry.api;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyResponse;
import org.affectdml.proto.v1.ExportTaxonomyRequest;
import org.affectdml.proto.v1.ExportedSupport;
import org.affectdml.proto.v1.GetReembeddingStatusRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.ListTaxonomiesRequest;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.ReembeddingStatus;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.RemoveSupportResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdmin;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.registry.ReembeddingWorker;
import org.affectdml.registry.RegistryErrors;
import org.affectdml.registry.TaxonomyService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** gRPC affect.v1.TaxonomyAdmin (admin credential; see AuthInterceptor). */
@GrpcService
public class TaxonomyAdminGrpcService implements TaxonomyAdmin {

    @Inject
    TaxonomyService taxonomies;
    @Inject
    ReembeddingWorker reembedding;

    static <T> Uni<T> call(Callable<T> work) {
        try {
            return Uni.createFrom().item(work.call());
        } catch (Exception e) {
            return Uni.createFrom().failure(RegistryErrors.toStatus(e));
        }
    }

    @Override
    @Blocking
    public Uni<Taxonomy> createTaxonomy(CreateTaxonomyRequest request) {
        return call(() -> taxonomies.create(request.getTaxonomy()));
    }

    @Override
    @Blocking
    public Uni<Taxonomy> getTaxonomy(GetTaxonomyRequest request) {
        return call(() -> taxonomies.get(request.getName()));
    }

    @Override
    @Blocking
    public Uni<ListTaxonomiesResponse> listTaxonomies(ListTaxonomiesRequest request) {
        return call(() -> taxonomies.list(request.getPageSize(), request.getPageToken()));
    }

    @Override
    @Blocking
    public Uni<DeleteTaxonomyResponse> deleteTaxonomy(DeleteTaxonomyRequest request) {
        return call(() -> DeleteTaxonomyResponse.newBuilder().setDeletedSupports(taxonomies.delete(request.getName())).build());
    }

    @Override
    @Blocking
    public Uni<AddSupportResponse> addSupport(AddSupportRequest r) {
        return call(() -> taxonomies.addSupport(r.getTaxonomy(), r.getClassName(), r.getImage(), r.hasBox() ? r.getBox() : null,
                r.getMetadataMap()));
    }

    @Override
    @Blocking
    public Uni<RemoveSupportResponse> removeSupport(RemoveSupportRequest request) {
        return call(() -> {
            taxonomies.removeSupport(request.getTaxonomy(), request.getSupportId());
            return RemoveSupportResponse.getDefaultInstance();
        });
    }

    @Override
    @Blocking
    public Uni<ListSupportsResponse> listSupports(ListSupportsRequest r) {
        return call(() -> taxonomies.listSupports(r.getTaxonomy(), r.getClassName(), r.getPageSize(), r.getPageToken()));
    }

    @Override
    @Blocking
    public Multi<TaxonomyArchiveChunk> exportTaxonomy(ExportTaxonomyRequest request) {
        try {
            return Multi.createFrom().iterable(taxonomies.export(request.getName()));
        } catch (Exception e) {
            return Multi.createFrom().failure(RegistryErrors.toStatus(e));
        }
    }

    @Override
    @Blocking
    public Uni<Taxonomy> importTaxonomy(Multi<TaxonomyArchiveChunk> request) {
        return request.collect().asList().onItem().transformToUni(chunks -> call(() -> {
            if (chunks.isEmpty() || !chunks.get(0).hasHeader()) {
                throw RegistryErrors.invalid("an import starts with the taxonomy header chunk");
            }
            List<ExportedSupport> supports = new ArrayList<>();
            for (TaxonomyArchiveChunk c : chunks.subList(1, chunks.size())) {
                if (!c.hasSupport()) {
                    throw RegistryErrors.invalid("only the first chunk of an import may be a header");
                }
                supports.add(c.getSupport());
            }
            return taxonomies.importTaxonomy(chunks.get(0).getHeader(), supports);
        })).runSubscriptionOn(io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool());
    }

    @Override
    @Blocking
    public Uni<ReembeddingStatus> getReembeddingStatus(GetReembeddingStatusRequest request) {
        return call(reembedding::status);
    }
}
