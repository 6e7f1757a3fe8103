package org.affectdml.trainer.features;

import ai.onnxruntime.OrtException;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.Sha256;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.inference.embedding.PersonInImage;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.ImageLimits;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.segmentation.SegmentationResult;
import org.affectdml.inference.segmentation.SemanticSegmenter;
import org.affectdml.trainer.emotic.EmoticPerson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs the bundle's own encoders and segmenter over a data set, exactly as the services do (same decoder,
 * preprocessing, box clamping, Sem2Vec), so there is no train/serve skew. Both encoder streams and Sem2Vec are
 * extracted for every person, so every head variant trains from one cache. Work goes image by image in
 * batches: an image is decoded and segmented once for all its persons.
 */
public final class FeatureExtractor {

    private final LoadedBundle bundle;
    private final FeatureCache cache;
    private final int batchImages;
    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);

    public FeatureExtractor(LoadedBundle bundle, FeatureCache cache, int batchImages) {
        if (batchImages < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchImages);
        }
        this.bundle = bundle;
        this.cache = cache;
        this.batchImages = batchImages;
    }

    /**
     * @param progress  progress updates (at most every 2 s)
     * @param log       skipped persons
     * @param cancelled checked between batches; when true, extraction stops with {@link java.util.concurrent.CancellationException}
     */
    public ExtractedFeatures extract(Path root, List<EmoticPerson> persons, Consumer<Progress.Snapshot> progressSink,
                                     Consumer<String> log, BooleanSupplier cancelled)
            throws IOException, OrtException {
        Map<String, List<Integer>> byImage = new LinkedHashMap<>();
        for (int i = 0; i < persons.size(); i++) {
            byImage.computeIfAbsent(persons.get(i).image(), k -> new ArrayList<>()).add(i);
        }
        PersonFeatures[] out = new PersonFeatures[persons.size()];
        List<String> skipped = new ArrayList<>();
        Progress progress = new Progress("features", persons.size(), "persons", progressSink, 2000);
        int computed = 0;
        int hits = 0;
        List<Map.Entry<String, List<Integer>>> images = new ArrayList<>(byImage.entrySet());
        for (int start = 0; start < images.size(); start += batchImages) {
            if (cancelled.getAsBoolean()) {
                throw new java.util.concurrent.CancellationException("feature extraction cancelled");
            }
            List<Pending> pending = new ArrayList<>();
            int batchPersons = 0;
            for (var entry : images.subList(start, Math.min(images.size(), start + batchImages))) {
                batchPersons += entry.getValue().size();
                byte[] data = Files.readAllBytes(root.resolve(entry.getKey()));
                String sha = Sha256.of(data);
                List<Integer> todo = new ArrayList<>();
                for (int p : entry.getValue()) {
                    PersonFeatures cached = cache.get(sha, persons.get(p).box());
                    if (cached != null) {
                        out[p] = cached;
                        hits++;
                    } else {
                        todo.add(p);
                    }
                }
                if (!todo.isEmpty()) {
                    try {
                        pending.add(new Pending(sha, decoder.decode(data), todo));
                    } catch (RuntimeException e) {
                        todo.forEach(p -> skip(skipped, log, persons.get(p), "image cannot be decoded: " + e.getMessage()));
                    }
                }
            }
            computed += compute(persons, pending, out, skipped, log);
            progress.advance(batchPersons);
        }
        List<EmoticPerson> kept = new ArrayList<>();
        List<PersonFeatures> features = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null) {
                kept.add(persons.get(i));
                features.add(out[i]);
            }
        }
        return new ExtractedFeatures(kept, features, skipped, computed, hits, progress.ratePerSecond());
    }

    private record Pending(String sha, RgbImage image, List<Integer> persons) {
    }

    private int compute(List<EmoticPerson> persons, List<Pending> pending, PersonFeatures[] out, List<String> skipped,
                        Consumer<String> log) throws IOException, OrtException {
        if (pending.isEmpty()) {
            return 0;
        }
        List<PersonInImage> samples = new ArrayList<>();
        List<Integer> sampleImage = new ArrayList<>();
        List<Integer> samplePerson = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            Pending img = pending.get(i);
            for (int p : img.persons()) {
                float[] b = persons.get(p).box();
                try {
                    samples.add(new PersonInImage(img.image(), PixelRegion.ofPersonBox(b[0], b[1], b[2], b[3], img.image().width(), img.image().height())));
                    sampleImage.add(i);
                    samplePerson.add(p);
                } catch (RuntimeException e) {
                    skip(skipped, log, persons.get(p), "unusable box: " + e.getMessage());
                }
            }
        }
        if (samples.isEmpty()) {
            return 0;
        }
        FusedEmbedder.EncoderFeatures encoded = FusedEmbedder.encode(bundle, samples, true, true);
        List<SegmentationResult> segmented = SemanticSegmenter.segment(bundle, pending.stream().map(Pending::image).toList(), 0);
        for (int s = 0; s < samples.size(); s++) {
            int p = samplePerson.get(s);
            Pending img = pending.get(sampleImage.get(s));
            PersonFeatures f = new PersonFeatures(encoded.image()[s], encoded.body()[s], segmented.get(sampleImage.get(s)).sem2vec());
            cache.put(img.sha(), persons.get(p).box(), f);
            out[p] = f;
        }
        return samples.size();
    }

    private static void skip(List<String> skipped, Consumer<String> log, EmoticPerson person, String why) {
        String line = "person skipped (" + person.source() + ", " + person.image() + "): " + why;
        skipped.add(line);
        log.accept(line);
    }
}
