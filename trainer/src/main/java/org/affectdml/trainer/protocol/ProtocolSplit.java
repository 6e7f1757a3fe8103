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
    private final List<Sample> train = new ArrayList<>();
    private final List<Sample> validation = new ArrayList<>();
    private final List<Sample> novel = new ArrayList<>();
    private final int unlabeled;

    private ProtocolSplit(Protocol protocol, int unlabeled) {
        this.protocol = protocol;
        this.unlabeled = unlabeled;
    }

    /**
     * @param validationFraction share of each base class held out for validation (0 = none)
     * @param seed               seed of the validation carve-out
     */
    public static ProtocolSplit of(Protocol protocol, Dimension dimension, List<EmoticPerson> pool, double validationFraction, long seed) {
        LabelAssigner labels = new LabelAssigner(protocol, dimension);
        List<List<Sample>> baseByClass = new ArrayList<>();
        for (int i = 0; i < protocol.classes().size(); i++) {
            baseByClass.add(new ArrayList<>());
        }
        int unlabeled = 0;
        ProtocolSplit split;
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
        split = new ProtocolSplit(protocol, unlabeled);
        split.novel.addAll(novel);
        Random random = new Random(seed);
        for (List<Sample> cls : baseByClass) {
            List<Sample> shuffled = new ArrayList<>(cls);
            Collections.shuffle(shuffled, random);
            int held = (int) Math.floor(shuffled.size() * validationFraction);
            split.validation.addAll(shuffled.subList(0, held));
            split.train.addAll(shuffled.subList(held, shuffled.size()));
        }
        return split;
    }

    /** Shuffles each novel class with {@code seed}; its first sample is the support, the rest are queries. */
    public SupportDraw drawSupports(long seed) {
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
            Collections.shuffle(members, random);
            supports.add(members.get(0));
            queries.addAll(members.subList(1, members.size()));
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
        return b.toString();
    }
}
