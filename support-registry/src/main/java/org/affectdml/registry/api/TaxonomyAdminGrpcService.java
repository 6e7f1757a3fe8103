package org.affectdml.registry.api;

import io.quarkus.grpc.GrpcService;
import org.affectdml.service.errors.MalformedStreamMessages;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyResponse;
import org.affectdml.proto.v1.ExportTaxonomyRequest;
import org.affectdml.proto.v1.GetReembeddingStatusRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.ListTaxonomiesRequest;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.MutinyTaxonomyAdminGrpc;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.proto.v1.EvaluateTaxonomyRequest;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.GetEvaluationJobRequest;
import org.affectdml.registry.service.EvaluationJobService;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.registry.service.TaxonomyEvaluationService;
import org.affectdml.proto.v1.ReembeddingStatus;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.RemoveSupportResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.registry.service.ReembeddingWorker;
import org.affectdml.registry.service.SupportService;
import org.affectdml.registry.service.TaxonomyArchiveService;
import org.affectdml.registry.service.TaxonomyService;

/**
 * gRPC affect.v1.TaxonomyAdmin (admin credential; see AuthInterceptor). Translation only: the services hold the
 * rules, and their exceptions become statuses in service-common's shared gRPC error handler.
 */
@GrpcService
public class TaxonomyAdminGrpcService extends MutinyTaxonomyAdminGrpc.TaxonomyAdminImplBase {

    @Inject
    TaxonomyService taxonomies;
    @Inject
    SupportService supports;
    @Inject
    TaxonomyArchiveService archives;
    @Inject
    ReembeddingWorker reembedding;
    @Inject
    TaxonomyEvaluationService evaluation;
    @Inject
    EvaluationJobService evaluationJobs;

    @Override
    @Blocking
    public Uni<Taxonomy> createTaxonomy(CreateTaxonomyRequest request) {
        return Uni.createFrom().item(() -> taxonomies.create(request.getTaxonomy(), request.getRequestId()));
    }

    @Override
    @Blocking
    public Uni<Taxonomy> updateTaxonomy(UpdateTaxonomyRequest request) {
        return Uni.createFrom().item(() -> taxonomies.update(request));
    }

    @Override
    @Blocking
    public Uni<TaxonomyEvaluation> evaluateTaxonomy(EvaluateTaxonomyRequest request) {
        return Uni.createFrom().item(() -> evaluation.evaluate(request));
    }

    /** Client-streaming calls get a message that does not parse as a marked message (see MalformedStreamMessages). */
    @Override
    public io.grpc.ServerServiceDefinition bindService() {
        return MalformedStreamMessages.tolerant(super.bindService());
    }

    /**
     * Each message is checked and spooled as it arrives (on a worker thread, in order); the job starts when the upload
     * ends. A message that breaks a rule ends the call at once, and the spool is deleted on every path that is not a job.
     */
    @Override
    public Uni<EvaluationJob> startEvaluation(Multi<EvaluationUpload> request) {
        return Uni.createFrom().item(evaluationJobs::newSpool).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .flatMap(spool -> request.emitOn(Infrastructure.getDefaultWorkerPool())
                        .onItem().invoke(new java.util.function.Consumer<EvaluationUpload>() {
                            private long index;

                            @Override
                            public void accept(EvaluationUpload message) {
                                MalformedStreamMessages.requireWellFormed(message, index++);
                                spool.accept(message);
                            }
                        })
                        .onFailure().invoke(spool::discard)
                        .onCancellation().invoke(spool::discard)
                        .collect().last()
                        .map(ignored -> evaluationJobs.submit(spool)));
    }

    @Override
    @Blocking
    public Uni<EvaluationJob> getEvaluationJob(GetEvaluationJobRequest request) {
        return Uni.createFrom().item(() -> evaluationJobs.get(request.getId()));
    }

    @Override
    @Blocking
    public Uni<Taxonomy> getTaxonomy(GetTaxonomyRequest request) {
        return Uni.createFrom().item(() -> taxonomies.get(request.getName()));
    }

    @Override
    @Blocking
    public Uni<ListTaxonomiesResponse> listTaxonomies(ListTaxonomiesRequest request) {
        return Uni.createFrom().item(() -> taxonomies.list(request.getPageSize(), request.getPageToken()));
    }

    @Override
    @Blocking
    public Uni<DeleteTaxonomyResponse> deleteTaxonomy(DeleteTaxonomyRequest request) {
        return Uni.createFrom().item(() -> taxonomies.delete(request.getName(), request.getRequestId()));
    }

    @Override
    @Blocking
    public Uni<AddSupportResponse> addSupport(AddSupportRequest r) {
        return Uni.createFrom().item(() -> supports.add(r));
    }

    @Override
    @Blocking
    public Uni<RemoveSupportResponse> removeSupport(RemoveSupportRequest request) {
        return Uni.createFrom().item(() -> supports.remove(request.getTaxonomy(), request.getSupportId(), request.getRequestId()));
    }

    @Override
    @Blocking
    public Uni<ListSupportsResponse> listSupports(ListSupportsRequest r) {
        return Uni.createFrom().item(() -> supports.list(r.getTaxonomy(), r.getClassName(), r.getPageSize(), r.getPageToken()));
    }

    @Override
    @Blocking
    public Multi<TaxonomyArchiveChunk> exportTaxonomy(ExportTaxonomyRequest request) {
        return Uni.createFrom().item(() -> archives.export(request.getName()))
                .onItem().transformToMulti(chunks -> Multi.createFrom().iterable(chunks));
    }

    /** Spooled to disk as it arrives (each chunk checked), then imported all or nothing; the spool is deleted on every path. */
    @Override
    public Uni<Taxonomy> importTaxonomy(Multi<TaxonomyArchiveChunk> request) {
        return Uni.createFrom().item(archives::newImport).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .flatMap(spool -> request.emitOn(Infrastructure.getDefaultWorkerPool())
                        .onItem().invoke(spool::accept)
                        .onFailure().invoke(spool::close)
                        .onCancellation().invoke(spool::cancel)
                        .collect().last()
                        .map(ignored -> archives.importSpooled(spool))
                        .onCancellation().invoke(spool::cancel));
    }

    @Override
    @Blocking
    public Uni<ReembeddingStatus> getReembeddingStatus(GetReembeddingStatusRequest request) {
        return Uni.createFrom().item(reembedding::status);
    }
}
