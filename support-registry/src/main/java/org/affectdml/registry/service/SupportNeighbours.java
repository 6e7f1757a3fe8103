package org.affectdml.registry.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.SupportSample;
import org.affectdml.proto.v1.SupportWarning;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Where a support lies among the taxonomy's other supports (exact search, one model version): the warnings AddSupport
 * gives about a new support, and the nearest own-class and other-class distances ListSupports shows. Within the
 * caller's transaction.
 */
@ApplicationScoped
public class SupportNeighbours {

    @Inject
    SupportEmbeddingRepository embeddings;
    @Inject
    RegistryConfig config;

    /** Nearest support of the sample's own class and of any other class, in {@code version}. */
    record Neighbours(Optional<ClassDistance> ownClass, Optional<ClassDistance> otherClass) {
    }

    Neighbours of(TaxonomyEntity t, long classId, UUID sample, float[] embedding, String version) {
        List<ClassDistance> nearest = embeddings.nearestPerClassExcept(t.id, version, embedding, sample);
        Optional<ClassDistance> own = nearest.stream().filter(d -> d.classId() == classId).findFirst();
        Optional<ClassDistance> other = nearest.stream().filter(d -> d.classId() != classId)
                .min(Comparator.comparingDouble(ClassDistance::distance));
        return new Neighbours(own, other);
    }

    /** The warnings about a support just stored with {@code embedding} of {@code version}. */
    List<SupportWarning> warnings(TaxonomyEntity t, EmotionClassEntity c, UUID sample, float[] embedding, String version) {
        Neighbours n = of(t, c.id, sample, embedding, version);
        List<SupportWarning> out = new ArrayList<>();
        Optional<ClassDistance> nearest = n.ownClass().isEmpty() ? n.otherClass() : n.otherClass().isEmpty() ? n.ownClass()
                : Optional.of(n.ownClass().get().distance() <= n.otherClass().get().distance() ? n.ownClass().get() : n.otherClass().get());
        nearest.filter(d -> d.distance() <= config.warnings().nearDuplicateDistance()).ifPresent(d -> out.add(warning(t,
                SupportWarning.Kind.NEAR_DUPLICATE, d, "almost the same as support %s of class '%s' (distance %.4f): it adds little",
                d.supportId(), className(t, d), d.distance())));
        if (n.ownClass().isPresent() && n.otherClass().isPresent() && n.otherClass().get().distance() < n.ownClass().get().distance()) {
            ClassDistance other = n.otherClass().get();
            out.add(warning(t, SupportWarning.Kind.NEARER_TO_OTHER_CLASS, other,
                    "nearer to class '%s' (support %s, %.4f) than to its own class '%s' (%.4f): is it mislabelled?",
                    className(t, other), other.supportId(), other.distance(), c.name, n.ownClass().get().distance()));
        }
        n.otherClass().filter(d -> d.distance() <= config.warnings().confusableDistance()
                && d.distance() > config.warnings().nearDuplicateDistance()).ifPresent(d -> out.add(warning(t,
                SupportWarning.Kind.CONFUSABLE_CLASSES, d, "within %.4f of support %s of class '%s': Classify may confuse '%s' and '%s'",
                d.distance(), d.supportId(), className(t, d), c.name, className(t, d))));
        return out;
    }

    /** The sample with its nearest own-class and other-class distances in {@code version}, when it has an embedding of it. */
    SupportSample withDistances(SupportSample sample, TaxonomyEntity t, long classId, String version) {
        UUID id = UUID.fromString(sample.getId());
        Optional<float[]> embedding = embeddings.embeddingOf(id, version);
        if (embedding.isEmpty()) {
            return sample;
        }
        Neighbours n = of(t, classId, id, embedding.get(), version);
        SupportSample.Builder b = sample.toBuilder().setDistancesModelVersion(version);
        n.ownClass().ifPresent(d -> b.setNearestOwnClassDistance((float) d.distance()));
        n.otherClass().ifPresent(d -> b.setNearestOtherClassDistance((float) d.distance()).setNearestOtherClass(className(t, d)));
        return b.build();
    }

    private static String className(TaxonomyEntity t, ClassDistance d) {
        return t.classes.stream().filter(c -> c.id == d.classId()).map(c -> c.name).findFirst().orElse("?");
    }

    private static SupportWarning warning(TaxonomyEntity t, SupportWarning.Kind kind, ClassDistance d, String format, Object... args) {
        return SupportWarning.newBuilder().setKind(kind).setMessage(String.format(Locale.ROOT, format, args))
                .setOtherSupportId(d.supportId()).setOtherClass(className(t, d)).setDistance((float) d.distance()).build();
    }
}
