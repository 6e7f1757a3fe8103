package org.affectdml.registry.service;

import com.google.protobuf.ByteString;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ExportedSupport;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.registry.model.SupportSampleEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportRepository;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.affectdml.service.errors.Errors;

import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.apache.commons.codec.digest.DigestUtils;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.List;

/** Export of a taxonomy with its original support images, and import of such an archive (embedded with the local model, stored in one transaction). */
@ApplicationScoped
public class TaxonomyArchiveService {

    @Inject
    TaxonomyService taxonomies;
    @Inject
    TaxonomyRepository taxonomyRows;
    @Inject
    SupportRepository supportRows;
    @Inject
    SupportEmbeddingRepository embeddingsStored;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    EvaluationJobService evaluationJobs;
    @Inject
    RegistryConfig config;
    @Inject
    WriteRequests writeRequests;

    /** The taxonomy's header chunk, then one chunk per support with its original image. */
    public List<TaxonomyArchiveChunk> export(String taxonomy) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = taxonomies.require(taxonomy);
            List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
            chunks.add(TaxonomyArchiveChunk.newBuilder().setHeader(ProtoMapping.taxonomy(t, taxonomyRows.supportCountsByClass(t.id))).build());
            for (SupportSampleEntity s : supportRows.ofTaxonomy(t.id)) {
                chunks.add(TaxonomyArchiveChunk.newBuilder().setSupport(ExportedSupport.newBuilder().setClassName(s.emotionClass.name)
                        .setImage(Image.newBuilder().setData(ByteString.copyFrom(s.image)).setMediaType(s.mediaType))
                        .setBox(PersonBox.newBuilder().setX1(s.x1).setY1(s.y1).setX2(s.x2).setY2(s.y2))
                        .putAllMetadata(s.metadata)).build());
            }
            return chunks;
        });
    }

    /** A spool for one import's chunks, checked against the registry's limits and CreateTaxonomy's rules. */
    public ImportUploadSpool newImport() {
        return new ImportUploadSpool(evaluationJobs.spoolDirectory(), new ImportUploadSpool.Limits(config.importLimits().maxSupports(),
                config.importLimits().maxUploadBytes(), config.maxImageBytes()), this::checkedHeader);
    }

    /** An exported header as a new taxonomy: what belongs to the exporting registry (revision, times, counts, rule) dropped. */
    private Taxonomy checkedHeader(Taxonomy header, String requestId) {
        // The rejection rule's thresholds and the temperature belong to the exporting registry's model version: not carried over.
        Taxonomy.Builder clean = header.toBuilder().clearRevision().clearCreated().clearUpdated().clearClasses().clearRejection()
                .clearTemperature();
        header.getClassesList().forEach(c -> clean.addClasses(c.toBuilder().clearSupportCount()));
        Taxonomy checked = taxonomies.checkedForCreate(clean.build());
        // Before the upload and the embeddings are paid for; with a request id the name may be taken by this very
        // import's first attempt, whose answer the end of the upload replays.
        if (requestId.isEmpty() && taxonomies.exists(checked.getName())) {
            throw Errors.alreadyExists("taxonomy '" + checked.getName() + "' exists already");
        }
        return checked;
    }

    /**
     * Imports a finished upload all or nothing: every support is embedded with the active model first (nothing is
     * stored if one fails), then the taxonomy, its supports and their embeddings are stored in one transaction. The
     * spool is deleted on every path.
     */
    public Taxonomy importSpooled(ImportUploadSpool spool) {
        try (spool) {
            Taxonomy header = spool.finish();
            WriteRequests.Key key = writeRequests.key(spool.requestId(), "ImportTaxonomy", spool.archiveFingerprint());
            Optional<Taxonomy> earlier = QuarkusTransaction.requiringNew().call(() -> writeRequests.replay(key, Taxonomy.parser()));
            if (earlier.isPresent()) {
                return earlier.get();
            }
            // The embeddings (about 2 KB a support) are kept until the transaction; the images are read back one by one.
            List<Embedded> embedded = new ArrayList<>(spool.supports());
            int[] at = {0};
            spool.forEachSupport(s -> {
                stopIfCancelled(spool);
                UploadedImage image = UploadedImage.accept(s.getImage(), "image of support " + at[0]++, config.maxImageBytes());
                embedded.add(new Embedded(embeddings.embed(item(image, s), "", EmbeddingClient.Extras.STORED), image.mediaType()));
            });
            stopIfCancelled(spool);
            return QuarkusTransaction.requiringNew().timeout((int) config.importLimits().transactionTimeout().toSeconds())
                    .call(() -> writeRequests.once(key, Taxonomy.parser(), () -> store(header, spool, embedded)));
        }
    }

    /** A spooled support's embedding and its image's checked media type, from the pass that embedded it. */
    private record Embedded(EmbeddingClient.Embedded vector, String mediaType) {
    }

    /** The taxonomy, its supports and their embeddings, in the caller's transaction (the images were checked when embedded). */
    private Taxonomy store(Taxonomy header, ImportUploadSpool spool, List<Embedded> embedded) {
        TaxonomyEntity t = taxonomies.insertNew(header);
        Map<String, Long> classIds = new HashMap<>();
        t.classes.forEach(c -> classIds.put(c.name, c.id));
        int[] next = {0};
        List<SupportEmbeddingRepository.NewEmbedding> vectors = new ArrayList<>();
        spool.forEachSupport(s -> {
            Embedded e = embedded.get(next[0]++);
            EmbeddingClient.Embedded v = e.vector();
            byte[] image = s.getImage().getData().toByteArray();
            long classId = classIds.get(s.getClassName());
            UUID id = UUID.randomUUID();
            var box = new SupportRepository.Box(s.getBox().getX1(), s.getBox().getY1(), s.getBox().getX2(), s.getBox().getY2());
            // a repeated (image, box) in the archive is one support, as AddSupport would make it
            if (supportRows.insertIfAbsent(new SupportRepository.NewSample(id, t.id, classId, image, e.mediaType(),
                    DigestUtils.sha256Hex(image), box, s.getMetadataMap()))) {
                vectors.add(new SupportEmbeddingRepository.NewEmbedding(id, v.modelVersion(), t.id, classId, v.values(), v.streams()));
            }
        });
        embeddingsStored.insertAll(vectors);
        stopIfCancelled(spool);
        return ProtoMapping.taxonomy(t, taxonomyRows.supportCountsByClass(t.id));
    }

    private static void stopIfCancelled(ImportUploadSpool spool) {
        if (spool.cancelled()) {
            throw io.grpc.Status.CANCELLED.withDescription("the client cancelled the import; nothing was stored").asRuntimeException();
        }
    }

    private static EmbeddingClient.Item item(UploadedImage image, ExportedSupport s) {
        return new EmbeddingClient.Item(image.bytes(), image.mediaType(), s.getBox().getX1(), s.getBox().getY1(), s.getBox().getX2(),
                s.getBox().getY2());
    }

    /**
     * An import of chunks already in memory (REST's JSON array), with the Idempotency-Key header's request id (empty:
     * none): spooled and imported like a stream.
     */
    public Taxonomy importChunks(List<TaxonomyArchiveChunk> chunks, String requestId) {
        ImportUploadSpool spool = newImport();
        try {
            for (int i = 0; i < chunks.size(); i++) {
                TaxonomyArchiveChunk chunk = chunks.get(i);
                spool.accept(i == 0 && chunk.hasHeader() && !requestId.isEmpty() ? chunk.toBuilder().setRequestId(requestId).build() : chunk);
            }
        } catch (RuntimeException e) {
            spool.close();
            throw e;
        }
        return importSpooled(spool);
    }
}
