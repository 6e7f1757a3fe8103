package org.affectdml.trainer.encoder;

import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.ImageLimits;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.trainer.emotic.EmoticPerson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The encoders' input pixels of data set persons, made when a training batch asks for them: the image decoded as the
 * services decode it, the whole image and the person box preprocessed as each encoder's manifest entry says. A few
 * recent images stay decoded (persons of one image come close together).
 */
public final class DatasetPixels implements JointTrainer.PixelSource {

    private static final int RECENT_IMAGES = 64;

    private final Path root;
    private final List<EmoticPerson> persons;
    private final int[] personOfRow;
    private final Preprocessing image;
    private final Preprocessing body;
    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    private final Map<String, RgbImage> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RgbImage> eldest) {
            return size() > RECENT_IMAGES;
        }
    };

    /** Row i of the training data is person {@code personOfRow[i]} of {@code persons} (images relative to {@code root}). */
    public DatasetPixels(Path root, List<EmoticPerson> persons, int[] personOfRow, ModelFile imageEncoder, ModelFile bodyEncoder) {
        this.root = root;
        this.persons = persons;
        this.personOfRow = personOfRow;
        this.image = imageEncoder.preprocessing();
        this.body = bodyEncoder.preprocessing();
    }

    /** C, H, W of an encoder's input (from its manifest entry's input shape). */
    public static long[] chw(ModelFile encoder) {
        long[] s = encoder.inputs().get(0).shape();
        return new long[]{s[1], s[2], s[3]};
    }

    @Override
    public JointTrainer.Pixels of(int row) {
        EmoticPerson p = persons.get(personOfRow[row]);
        RgbImage decoded = recent.computeIfAbsent(p.image(), this::decode);
        float[] b = p.box();
        float[] whole = new float[TensorPreprocessor.sliceLength(image)];
        TensorPreprocessor.write(decoded, PixelRegion.whole(decoded), image, whole, 0);
        float[] crop = new float[TensorPreprocessor.sliceLength(body)];
        TensorPreprocessor.write(decoded, PixelRegion.ofPersonBox(b[0], b[1], b[2], b[3], decoded.width(), decoded.height()), body, crop, 0);
        return new JointTrainer.Pixels(whole, crop);
    }

    private RgbImage decode(String relative) {
        try {
            return decoder.decode(Files.readAllBytes(root.resolve(relative)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + relative + " for joint training", e);
        }
    }
}
