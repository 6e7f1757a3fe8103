package org.affectdml.registry.service;

import com.google.protobuf.ByteString;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ExportedSupport;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.registry.model.SupportSampleEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportRepository;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.affectdml.service.errors.Errors;

import java.util.ArrayList;
import java.util.List;

/** Export of a taxonomy with its original support images, and import of such an archive (embedded with the local model). */
@ApplicationScoped
public class TaxonomyArchiveService {

    @Inject
    TaxonomyService taxonomies;
    @Inject
    SupportService supports;
    @Inject
    TaxonomyRepository taxonomyRows;
    @Inject
    SupportRepository supportRows;

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

    /** Creates the taxonomy and adds every support; on any failure the new taxonomy is removed again. */
    private Taxonomy importTaxonomy(Taxonomy header, List<ExportedSupport> supportsToAdd) {
        // The rejection rule's thresholds belong to the exporting registry's model version: not carried over.
        Taxonomy.Builder clean = header.toBuilder().clearRevision().clearCreated().clearUpdated().clearClasses().clearRejection();
        header.getClassesList().forEach(c -> clean.addClasses(c.toBuilder().clearSupportCount()));
        taxonomies.create(clean.build(), "");
        try {
            for (ExportedSupport s : supportsToAdd) {
                AddSupportRequest.Builder add = AddSupportRequest.newBuilder().setTaxonomy(header.getName()).setClassName(s.getClassName())
                        .setImage(s.getImage()).putAllMetadata(s.getMetadataMap());
                if (s.hasBox()) {
                    add.setBox(s.getBox());
                }
                supports.add(add.build());
            }
        } catch (RuntimeException e) {
            taxonomies.delete(header.getName(), "");
            throw e;
        }
        return taxonomies.get(header.getName());
    }

    /** The chunks of an import as the header and the supports after it; INVALID_ARGUMENT when they are out of order. */
    public Taxonomy importChunks(List<TaxonomyArchiveChunk> chunks) {
        if (chunks.isEmpty() || !chunks.get(0).hasHeader()) {
            throw Errors.invalidArgument("an import starts with the taxonomy header chunk");
        }
        List<ExportedSupport> rest = new ArrayList<>();
        for (TaxonomyArchiveChunk c : chunks.subList(1, chunks.size())) {
            if (!c.hasSupport()) {
                throw Errors.invalidArgument("only the first chunk of an import may be a header");
            }
            rest.add(c.getSupport());
        }
        return importTaxonomy(chunks.get(0).getHeader(), rest);
    }
}
