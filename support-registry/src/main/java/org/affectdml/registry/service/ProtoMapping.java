package org.affectdml.registry.service;

import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.SupportSample;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.SupportSampleEntity;
import org.affectdml.registry.model.TaxonomyEntity;

import java.util.List;
import java.util.Map;

/** Entities to affect.v1 messages. */
final class ProtoMapping {

    private ProtoMapping() {
    }

    static Taxonomy taxonomy(TaxonomyEntity t, Map<Long, Integer> supportCounts) {
        Taxonomy.Builder b = Taxonomy.newBuilder()
                .setName(t.name)
                .setKind(TaxonomyKind.valueOf("TAXONOMY_KIND_" + t.kind))
                .setDescription(t.description)
                .setRevision(t.revision)
                .setCreated(t.created.toString())
                .setUpdated(t.updated.toString());
        for (EmotionClassEntity c : t.classes) {
            b.addClasses(EmotionClass.newBuilder().setName(c.name).setDescription(c.description).setLevel(c.level)
                    .setSupportCount(supportCounts.getOrDefault(c.id, 0)));
        }
        if (t.temperature != null) {
            b.setTemperature(Temperatures.toProto(t));
        }
        if (t.hasRejectionRule()) {
            b.setRejection(RejectionRules.toProto(t));
        }
        return b.build();
    }

    static SupportSample sample(SupportSampleEntity s, String taxonomy, List<String> versions) {
        return SupportSample.newBuilder()
                .setId(s.id.toString())
                .setTaxonomy(taxonomy)
                .setClassName(s.emotionClass.name)
                .setBox(PersonBox.newBuilder().setX1(s.x1).setY1(s.y1).setX2(s.x2).setY2(s.y2))
                .setImageSha256(s.imageSha256)
                .setMediaType(s.mediaType)
                .putAllMetadata(s.metadata)
                .addAllEmbeddedModelVersions(versions)
                .setCreated(s.created.toString())
                .build();
    }
}
