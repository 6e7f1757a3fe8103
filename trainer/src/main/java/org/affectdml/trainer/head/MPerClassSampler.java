package org.affectdml.trainer.head;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * pytorch-metric-learning's {@code MPerClassSampler(labels, m, length_before_new_iter=len(labels))} with
 * batches of consecutive chunks and drop_last (docs/method.md §5.1): an epoch list of L = n - n mod (m C) indices, made
 * of L/(m C) passes over the shuffled classes, m indices per class drawn without replacement (with replacement
 * when a class has fewer than m samples).
 */
public final class MPerClassSampler {

    private final int m;
    private final int batchSize;
    private final List<int[]> byClass = new ArrayList<>();
    private final int total;

    public MPerClassSampler(int[] labels, int m, int batchSize) {
        Map<Integer, List<Integer>> groups = new TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            groups.computeIfAbsent(labels[i], k -> new ArrayList<>()).add(i);
        }
        groups.values().forEach(g -> byClass.add(g.stream().mapToInt(Integer::intValue).toArray()));
        this.m = m;
        this.batchSize = batchSize;
        this.total = labels.length;
        if (byClass.size() < 2) {
            throw new IllegalArgumentException("metric learning needs at least 2 classes in the training set, found " + byClass.size());
        }
        if (total - total % (m * byClass.size()) < batchSize) {
            throw new IllegalArgumentException("too few training samples (" + total + ") for one batch of " + batchSize
                    + " with " + m + " per class over " + byClass.size() + " classes");
        }
    }

    /** Batches of one epoch (row indices into the label array). */
    public List<int[]> epoch(Random random) {
        int per = m * byClass.size();
        int length = total - total % per;
        List<Integer> order = new ArrayList<>(length);
        List<Integer> classes = new ArrayList<>();
        for (int c = 0; c < byClass.size(); c++) {
            classes.add(c);
        }
        for (int pass = 0; pass < length / per; pass++) {
            Collections.shuffle(classes, random);
            for (int c : classes) {
                int[] members = byClass.get(c);
                if (members.length >= m) {
                    int[] copy = members.clone();
                    for (int k = 0; k < m; k++) {
                        int j = k + random.nextInt(copy.length - k);
                        int t = copy[k];
                        copy[k] = copy[j];
                        copy[j] = t;
                        order.add(copy[k]);
                    }
                } else {
                    for (int k = 0; k < m; k++) {
                        order.add(members[random.nextInt(members.length)]);
                    }
                }
            }
        }
        List<int[]> batches = new ArrayList<>();
        for (int start = 0; start + batchSize <= order.size(); start += batchSize) {
            batches.add(order.subList(start, start + batchSize).stream().mapToInt(Integer::intValue).toArray());
        }
        return batches;
    }

    public int batchesPerEpoch() {
        int per = m * byClass.size();
        return (total - total % per) / batchSize;
    }
}
