package org.affectdml.trainer.protocol;

import org.affectdml.trainer.emotic.EmoticPerson;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;

/**
 * A protocol applied to a pool of persons (docs/method.md §2.5-2.6): every person gets one class (Eq. 1-2); persons of
 * base classes are for training, minus a validation part carved from the base classes (for model selection,
 * never the query set); persons of novel classes form the support and query sets of a seeded support draw,
 * the support sample excluded from the queries.
 */
public final class ProtocolSplit {

    /** A person (index into the pool) and its class index in the protocol. */
    public record Sample(int person, int label) {
    }

    /** One support per novel class and the remaining novel samples as queries; the seed that drew them. */
    public record SupportDraw(long seed, List<Sample> supports, List<Sample> queries) {
    }

    private final Protocol protocol;
    private final SplitRule rule;
    private final List<EmoticPerson> pool;
    private final List<Sample> train = new ArrayList<>();
    private final List<Sample> validation = new ArrayList<>();
    private final List<Sample> novel = new ArrayList<>();
    private final int unlabeled;
    private int leftOutForDisjointness;

    private ProtocolSplit(Protocol protocol, SplitRule rule, List<EmoticPerson> pool, int unlabeled) {
        this.protocol = protocol;
        this.rule = rule;
        this.pool = pool;
        this.unlabeled = unlabeled;
    }

    /** The paper's pooled split. */
    public static ProtocolSplit of(Protocol protocol, Dimension dimension, List<EmoticPerson> pool, double validationFraction, long seed) {
        return of(protocol, dimension, pool, validationFraction, seed, SplitRule.POOLED);
    }

    /**
     * @param validationFraction share of each base class (pooled) or of the base-only images (image-disjoint) held out
     *                           for validation (0 = none)
     * @param seed               seed of the validation carve-out
     */
    public static ProtocolSplit of(Protocol protocol, Dimension dimension, List<EmoticPerson> pool, double validationFraction, long seed,
                                   SplitRule rule) {
        LabelAssigner labels = new LabelAssigner(protocol, dimension);
        List<List<Sample>> baseByClass = new ArrayList<>();
        for (int i = 0; i < protocol.classes().size(); i++) {
            baseByClass.add(new ArrayList<>());
        }
        int unlabeled = 0;
        List<Sample> novel = new ArrayList<>();
        for (int p = 0; p < pool.size(); p++) {
            OptionalInt label = labels.assign(pool.get(p));
            if (label.isEmpty()) {
                unlabeled++;
            } else if (protocol.classes().get(label.getAsInt()).base()) {
                baseByClass.get(label.getAsInt()).add(new Sample(p, label.getAsInt()));
            } else {
                novel.add(new Sample(p, label.getAsInt()));
            }
        }
        ProtocolSplit split = new ProtocolSplit(protocol, rule, pool, unlabeled);
        split.novel.addAll(novel);
        Random random = new Random(seed);
        if (rule == SplitRule.POOLED) {
            for (List<Sample> cls : baseByClass) {
                List<Sample> shuffled = new ArrayList<>(cls);
                Collections.shuffle(shuffled, random);
                int held = (int) Math.floor(shuffled.size() * validationFraction);
                split.validation.addAll(shuffled.subList(0, held));
                split.train.addAll(shuffled.subList(held, shuffled.size()));
            }
            return split;
        }
        java.util.Set<String> novelImages = new java.util.HashSet<>();
        novel.forEach(s -> novelImages.add(split.imageOf(s)));
        java.util.Map<String, List<Sample>> baseByImage = new java.util.LinkedHashMap<>();
        for (List<Sample> cls : baseByClass) {
            for (Sample s : cls) {
                if (novelImages.contains(split.imageOf(s))) {
                    split.leftOutForDisjointness++;
                } else {
                    baseByImage.computeIfAbsent(split.imageOf(s), k -> new ArrayList<>()).add(s);
                }
            }
        }
        List<String> images = new ArrayList<>(baseByImage.keySet());
        java.util.Collections.sort(images);  // an order independent of the pool's, then the seeded shuffle
        Collections.shuffle(images, random);
        int held = (int) Math.floor(images.size() * validationFraction);
        for (int i = 0; i < images.size(); i++) {
            (i < held ? split.validation : split.train).addAll(baseByImage.get(images.get(i)));
        }
        return split;
    }

    /**
     * Which vote list Eq. 1-2 counted (docs/method.md §2.4): per-annotator lists (several annotators), a union (one
     * list for a val/test person: the CSV forms' combined categories), or one annotator's list (train).
     */
    private String voteLists() {
        int perAnnotator = 0;
        int union = 0;
        int single = 0;
        for (EmoticPerson p : pool) {
            if (p.categories().size() > 1) {
                perAnnotator++;
            } else if (p.categories().size() == 1 && !p.split().equals("train")) {
                union++;
            } else if (p.categories().size() == 1) {
                single++;
            }
        }
        return String.format("vote lists: %d persons with per-annotator votes, %d with the union of their annotators' categories "
                + "(the file has no per-annotator lists), %d with one annotator%n", perAnnotator, union, single);
    }

    /** The image file a sample's person is in (its path relative to the data set root). */
    private String imageOf(Sample s) {
        return pool.get(s.person()).image();
    }

    public SplitRule rule() {
        return rule;
    }

    /** Shuffles each novel class with {@code seed}; its first sample is the support, the rest are queries. */
    public SupportDraw drawSupports(long seed) {
        return drawSupports(seed, 1);
    }

    /**
     * {@code shots} supports per novel class (k-shot), the rest of the class's persons its queries; the first shuffled
     * members are the supports, so 1-shot is the paper's draw. A class with no more than {@code shots} persons is refused.
     */
    public SupportDraw drawSupports(long seed, int shots) {
        if (shots < 1) {
            throw new IllegalArgumentException("shots must be >= 1, got " + shots);
        }
        Random random = new Random(seed);
        List<Sample> supports = new ArrayList<>();
        List<Sample> queries = new ArrayList<>();
        for (int c = 0; c < protocol.classes().size(); c++) {
            if (protocol.classes().get(c).base()) {
                continue;
            }
            final int cls = c;
            List<Sample> members = new ArrayList<>(novel.stream().filter(s -> s.label() == cls).toList());
            if (members.isEmpty()) {
                throw new IllegalStateException("novel class " + protocol.classes().get(c).name() + " has no sample in this pool");
            }
            if (shots > 1 && members.size() <= shots) {
                throw new IllegalStateException("novel class " + protocol.classes().get(c).name() + " has " + members.size()
                        + " persons: " + shots + "-shot evaluation needs at least " + (shots + 1));
            }
            Collections.shuffle(members, random);
            supports.addAll(members.subList(0, shots));
            queries.addAll(members.subList(shots, members.size()));
        }
        if (rule == SplitRule.IMAGE_DISJOINT) {
            // no query may share an image with a support of this draw
            java.util.Set<String> supportImages = new java.util.HashSet<>();
            supports.forEach(s -> supportImages.add(imageOf(s)));
            queries.removeIf(q -> supportImages.contains(imageOf(q)));
        }
        return new SupportDraw(seed, supports, queries);
    }

    public List<Sample> train() {
        return Collections.unmodifiableList(train);
    }

    public List<Sample> validation() {
        return Collections.unmodifiableList(validation);
    }

    public List<Sample> novel() {
        return Collections.unmodifiableList(novel);
    }

    /** Per-class counts (train, validation, novel) as a table for people. */
    public String countsTable() {
        StringBuilder b = new StringBuilder(String.format("%-5s %-16s %-5s %8s %8s %8s%n", "id", "class", "role", "train", "val", "novel"));
        for (int c = 0; c < protocol.classes().size(); c++) {
            final int cls = c;
            var oc = protocol.classes().get(c);
            b.append(String.format("%-5s %-16s %-5s %8d %8d %8d%n", oc.id(), oc.name(), oc.base() ? "base" : "novel",
                    train.stream().filter(s -> s.label() == cls).count(), validation.stream().filter(s -> s.label() == cls).count(),
                    novel.stream().filter(s -> s.label() == cls).count()));
        }
        b.append(String.format("persons without a usable label: %d%n", unlabeled));
        b.append(voteLists());
        b.append(String.format("split: %s%s%n", rule.label(), rule == SplitRule.IMAGE_DISJOINT
                ? String.format(" (%d base-class persons left out: they share an image with a novel-class person; queries never share "
                + "an image with a support of their draw)", leftOutForDisjointness) : " (the paper's: persons of one image may sit on both sides)"));
        return b.toString();
    }
}
