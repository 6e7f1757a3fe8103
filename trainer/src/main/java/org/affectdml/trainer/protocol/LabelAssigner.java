package org.affectdml.trainer.protocol;

import org.affectdml.trainer.emotic.EmoticPerson;

import java.util.Map;
import java.util.OptionalInt;

/**
 * Paper Eq. 1-2: the single one-shot label of a person with several annotations. Count each annotation in
 * its class, take the class with the most votes, the first such class on a tie (numpy/torch argmax). For
 * CAT the votes are every annotator's categories; for LEV the annotators' integer levels of the dimension
 * (so: the mode, ties to the lowest level), or, where a source only has the averaged value, that value
 * rounded half down (docs/method.md §2.4).
 */
public final class LabelAssigner {

    private final Protocol protocol;
    private final Dimension dimension;
    private final Map<String, Integer> categoryToClass;

    public LabelAssigner(Protocol protocol, Dimension dimension) {
        if (protocol.kind() == Protocol.Kind.LEVEL && dimension == null) {
            throw new IllegalArgumentException(protocol + " needs a dimension (valence, arousal or dominance)");
        }
        this.protocol = protocol;
        this.dimension = dimension;
        this.categoryToClass = protocol.categoryToClass();
    }

    /** The class index, or empty when the person has no usable annotation for this protocol. */
    public OptionalInt assign(EmoticPerson person) {
        int[] votes = new int[protocol.classes().size()];
        boolean any = false;
        if (protocol.kind() == Protocol.Kind.CATEGORICAL) {
            for (String category : person.categoryVotes()) {
                Integer c = categoryToClass.get(category);
                if (c != null) {
                    votes[c]++;
                    any = true;
                }
            }
        } else {
            for (double[] vad : person.vad()) {
                double v = vad[dimension.index()];
                if (!Double.isNaN(v)) {
                    votes[protocol.levelToClass(clampLevel((int) Math.round(v)))]++;
                    any = true;
                }
            }
            if (!any && person.combinedVad() != null && !Double.isNaN(person.combinedVad()[dimension.index()])) {
                votes[protocol.levelToClass(clampLevel(roundHalfDown(person.combinedVad()[dimension.index()])))]++;
                any = true;
            }
        }
        if (!any) {
            return OptionalInt.empty();
        }
        int best = 0;
        for (int i = 1; i < votes.length; i++) {
            if (votes[i] > votes[best]) {
                best = i;
            }
        }
        return OptionalInt.of(best);
    }

    static int roundHalfDown(double v) {
        return (int) Math.ceil(v - 0.5);
    }

    private static int clampLevel(int level) {
        return Math.max(1, Math.min(10, level));
    }
}
