package org.affectdml.trainer.features;

import org.affectdml.trainer.emotic.EmoticPerson;

import java.util.List;

/**
 * Features of every person that could be extracted, row i for {@code persons.get(i)}; the persons that could
 * not (undecodable image, empty box) are listed in {@code skipped} with the reason.
 */
public record ExtractedFeatures(List<EmoticPerson> persons, List<PersonFeatures> features, List<String> skipped,
                                int computed, int cacheHits, double personsPerSecond) {

    public int imageDim() {
        return features.get(0).image().length;
    }

    public int bodyDim() {
        return features.get(0).body().length;
    }

    public int semDim() {
        return features.get(0).sem2vec().length;
    }
}
