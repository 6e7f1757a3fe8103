package org.affectdml.trainer.synthetic;

import org.affectdml.trainer.emotic.AnnotationsMatWriter;
import org.affectdml.trainer.emotic.EmoticPerson;
import org.affectdml.trainer.protocol.Protocol;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Generates a data set in EMOTIC's formats (images, Tandon-A {@code train/val/test.csv} and an
 * {@code Annotations.mat}) whose twelve CAT-6:6 classes are learnable from image content and scene
 * composition, so tests can run the whole pipeline for real.
 * <p>
 * Each person has a latent class k (the CAT-6:6 class index). The class fixes two factors: the colour of the
 * person's upper body (one of {@link #BODY_COLOURS}) and the scene, i.e. which kinds of objects stand around the
 * person (one of {@link #SCENES}). The six base classes cover every body colour and every scene, so a head
 * that learns both factors on the base classes can tell the novel classes (new combinations) apart. On top of
 * the signal there are nuisances the head must learn to ignore: a background of any colour, person position
 * and size, clutter of random colours, legs and a bag of random colours. Labels: one EMOTIC category of the class
 * (drawn from its group) and V/A/D levels tied to the class, so the LEV protocols are learnable too.
 */
public final class SyntheticEmotic {

    /** Body colours (factor 1). */
    static final Color[] BODY_COLOURS = {new Color(230, 200, 40), new Color(200, 40, 200), new Color(40, 200, 210)};
    /** Scene object colours (factor 2): each scene places objects of its two colours. */
    static final Color[][] SCENES = {
            {new Color(220, 30, 30), new Color(30, 30, 30)},
            {new Color(30, 190, 40), new Color(245, 245, 245)},
            {new Color(30, 50, 220), new Color(220, 30, 30)},
            {new Color(30, 190, 40), new Color(30, 30, 30)}};
    /**
     * (body colour, scene) of the 12 CAT-6:6 classes. Base classes A01..A06 see every body colour and every
     * scene; novel classes A07..A12 are the six combinations never seen in training.
     */
    static final int[][] CLASS_FACTORS = {
            {0, 0}, {1, 1}, {2, 2}, {0, 3}, {1, 0}, {2, 1},
            {0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 0}, {2, 3}};
    /** Relative class frequencies: imbalanced like EMOTIC (the second novel class, Engagement, dominates). */
    static final double[] CLASS_WEIGHTS = {3, 2, 2, 3, 4, 2, 2, 4, 1, 1, 2, 1.5};
    public static final String FOLDER = "synthetic/images";

    /**
     * @param textured the body factor is a black-and-white stripe pattern (horizontal, vertical, checkered) of the
     *                 same mean colour for every class, instead of a colour: average colours cannot tell the classes
     *                 apart, features that see orientation can (the variant for frozen-vs-joint encoder training)
     */
    public record Options(int persons, int width, int height, long seed, boolean textured, int personsPerImage) {
        public Options(int persons, int width, int height, long seed) {
            this(persons, width, height, seed, false, 1);
        }

        public Options(int persons, int width, int height, long seed, boolean textured) {
            this(persons, width, height, seed, textured, 1);
        }

        /** {@code personsPerImage} > 1: persons of one image share its scene (and so the scene factor of their classes). */
        public Options {
            if (personsPerImage < 1) {
                throw new IllegalArgumentException("persons per image must be at least 1, got " + personsPerImage);
            }
        }

        public static Options small(long seed) {
            return new Options(600, 96, 96, seed);
        }
    }

    private SyntheticEmotic() {
    }

    /**
     * Writes images under {@code root/synthetic/images}, {@code root/annotations/{train,val,test}.csv} and
     * {@code root/annotations/Annotations.mat}; returns the persons written. 70 % train, 10 % val, 20 % test.
     *
     * @param progress called with the number of images written so far
     */
    public static List<EmoticPerson> generate(Path root, Options options, IntConsumer progress) throws IOException {
        Random random = new Random(options.seed());
        Path images = Files.createDirectories(root.resolve(FOLDER));
        Path annotations = Files.createDirectories(root.resolve("annotations"));
        List<String> categories = categories();
        List<EmoticPerson> persons = new ArrayList<>(options.persons());
        for (int i = 0; persons.size() < options.persons(); i++) {
            int first = drawClass(random, -1);
            String name = String.format(Locale.ROOT, "syn_%06d.png", i);
            BufferedImage image = new BufferedImage(options.width(), options.height(), BufferedImage.TYPE_INT_RGB);
            int scene = CLASS_FACTORS[first][1];
            int count = Math.min(options.personsPerImage(), options.persons() - persons.size());
            List<int[]> classesAndBoxes = new ArrayList<>();
            for (int p = 0; p < count; p++) {
                int k = p == 0 ? first : drawClass(random, scene);  // one scene per image: its persons' classes share it
                float[] box = p == 0 ? render(image, CLASS_FACTORS[k][0], scene, options.textured(), random)
                        : renderPerson(image, CLASS_FACTORS[k][0], options.textured(), random);
                classesAndBoxes.add(new int[]{k, (int) box[0], (int) box[1], (int) box[2], (int) box[3]});
            }
            ImageIO.write(image, "png", images.resolve(name).toFile());
            double r = random.nextDouble();
            String split = r < 0.7 ? "train" : r < 0.8 ? "val" : "test";
            boolean train = split.equals("train");
            for (int[] cb : classesAndBoxes) {
                int k = cb[0];
                String category = groupOf(categories, k, random);
                double[] vad = {levelOf(k, 0), levelOf(k, 1), levelOf(k, 2)};
                persons.add(new EmoticPerson("synthetic " + name, split, FOLDER + "/" + name, options.width(), options.height(),
                        new float[]{cb[1], cb[2], cb[3], cb[4]}, List.of(List.of(category)), List.of(vad), train ? null : vad));
            }
            progress.accept(persons.size());
        }
        for (String split : List.of("train", "val", "test")) {
            writeTandonCsv(persons.stream().filter(p -> p.split().equals(split)).toList(), annotations.resolve(split + ".csv"));
        }
        AnnotationsMatWriter.write(persons, annotations.resolve("Annotations.mat"));
        return persons;
    }

    /** Category names per CAT-6:6 class index, in the protocol's order. */
    private static List<String> categories() {
        return Protocol.CAT_6_6.classes().stream().map(c -> String.join("|", c.categories())).toList();
    }

    private static String groupOf(List<String> categories, int k, Random random) {
        String[] group = categories.get(k).split("\\|");
        return group[random.nextInt(group.length)];
    }

    /** V/A/D level of class k: a fixed permutation per dimension, so each level protocol has learnable classes. */
    static int levelOf(int k, int dimension) {
        int[][] levels = {
                {1, 3, 5, 6, 8, 9, 2, 4, 7, 10, 1, 3},
                {10, 9, 8, 6, 5, 3, 7, 4, 2, 1, 10, 9},
                {5, 6, 1, 3, 8, 9, 4, 7, 10, 2, 5, 6}};
        return levels[dimension][k];
    }

    /** A class drawn by {@link #CLASS_WEIGHTS}, among those of {@code scene} (or all, for -1). */
    private static int drawClass(Random random, int scene) {
        double total = 0;
        for (int k = 0; k < CLASS_WEIGHTS.length; k++) {
            total += scene < 0 || CLASS_FACTORS[k][1] == scene ? CLASS_WEIGHTS[k] : 0;
        }
        double r = random.nextDouble() * total;
        int last = -1;
        for (int k = 0; k < CLASS_WEIGHTS.length; k++) {
            if (scene >= 0 && CLASS_FACTORS[k][1] != scene) {
                continue;
            }
            last = k;
            r -= CLASS_WEIGHTS[k];
            if (r < 0) {
                return k;
            }
        }
        return last;
    }

    /** Draws the scene and the person; returns the person box x1, y1, x2, y2. */
    static float[] render(BufferedImage image, int bodyColour, int scene, Random random) {
        return render(image, bodyColour, scene, false, random);
    }

    /** As {@link #render(BufferedImage, int, int, Random)}; {@code textured}: the body factor is a stripe pattern. */
    static float[] render(BufferedImage image, int bodyColour, int scene, boolean textured, Random random) {
        int w = image.getWidth();
        int h = image.getHeight();
        Graphics2D g = image.createGraphics();
        try {
            // background: any colour, the largest nuisance of the whole-image stream
            g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
            g.fillRect(0, 0, w, h);
            // clutter: random colours, the nuisance
            for (int c = random.nextInt(3); c > 0; c--) {
                g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
                g.fillOval(random.nextInt(w), random.nextInt(h), w / 8 + random.nextInt(w / 6), h / 8 + random.nextInt(h / 6));
            }
            // scene objects: 2-4 objects in the scene's colours
            for (int o = 2 + random.nextInt(3); o > 0; o--) {
                g.setColor(jitter(SCENES[scene][o % 2], random));
                int ow = w / 6 + random.nextInt(w / 4);
                int oh = h / 6 + random.nextInt(h / 4);
                g.fillRect(random.nextInt(w - ow), random.nextInt(h - oh), ow, oh);
            }
            return drawPerson(g, w, h, bodyColour, textured, random);
        } finally {
            g.dispose();
        }
    }

    /** Another person on an image already rendered (its scene stays); returns its box. */
    static float[] renderPerson(BufferedImage image, int bodyColour, boolean textured, Random random) {
        Graphics2D g = image.createGraphics();
        try {
            return drawPerson(g, image.getWidth(), image.getHeight(), bodyColour, textured, random);
        } finally {
            g.dispose();
        }
    }

    private static float[] drawPerson(Graphics2D g, int w, int h, int bodyColour, boolean textured, Random random) {
        // the person: a body box with a head
        int bw = w / 4 + random.nextInt(w / 5);
        int bh = h / 2 + random.nextInt(h / 4);
        int x1 = random.nextInt(w - bw);
        int y1 = random.nextInt(h - bh);
        if (textured) {
            stripes(g, bodyColour, x1, y1 + bh / 4, bw, bh - bh / 4, Math.max(2, w / 32));
        } else {
            g.setColor(jitter(BODY_COLOURS[bodyColour], random));
            g.fillRect(x1, y1 + bh / 4, bw, bh - bh / 4);
        }
        g.setColor(new Color(225, 180, 150));
        g.fillOval(x1 + bw / 4, y1, bw / 2, bh / 4);
        // legs and bag in random colours: the nuisance of the body crop
        g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
        g.fillRect(x1, y1 + bh * 5 / 8, bw, bh - bh * 5 / 8);
        g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
        g.fillRect(x1 + random.nextInt(Math.max(1, bw / 2)), y1 + bh / 3, bw / 3, bh / 4);
        return new float[]{x1, y1, x1 + bw, y1 + bh};
    }

    /** Black and white cells of side {@code cell}: pattern 0 horizontal stripes, 1 vertical, 2 a checkerboard (all half white). */
    private static void stripes(Graphics2D g, int pattern, int x, int y, int w, int h, int cell) {
        for (int cy = 0; cy * cell < h; cy++) {
            for (int cx = 0; cx * cell < w; cx++) {
                boolean white = switch (pattern) {
                    case 0 -> cy % 2 == 0;
                    case 1 -> cx % 2 == 0;
                    default -> (cx + cy) % 2 == 0;
                };
                g.setColor(white ? Color.WHITE : Color.BLACK);
                g.fillRect(x + cx * cell, y + cy * cell, Math.min(cell, w - cx * cell), Math.min(cell, h - cy * cell));
            }
        }
    }

    private static Color jitter(Color c, Random random) {
        int d = random.nextInt(41) - 20;
        return new Color(clamp(c.getRed() + d), clamp(c.getGreen() + d), clamp(c.getBlue() + d));
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** The Tandon-A CSV form (docs/method.md §3.2): Python-literal cells, val/test with combined labels. */
    static void writeTandonCsv(List<EmoticPerson> persons, Path csv) throws IOException {
        try (Writer out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.write("Index,Folder,Filename,Image Size,BBox,Categorical_Labels,Continuous_Labels,Gender,Age\n");
            int index = 0;
            for (EmoticPerson p : persons) {
                int slash = p.image().lastIndexOf('/');
                float[] b = p.box();
                double[] vad = p.vad().get(0);
                out.write(String.format(Locale.ROOT, "%d,%s,%s,\"[%d, %d]\",\"[%d, %d, %d, %d]\",\"[%s]\",\"[%s, %s, %s]\",Female,Adult%n",
                        index++, p.image().substring(0, slash), p.image().substring(slash + 1), p.width(), p.height(),
                        (int) b[0], (int) b[1], (int) b[2], (int) b[3],
                        String.join(", ", p.categoryVotes().stream().map(c -> "'" + c + "'").toList()),
                        number(vad[0]), number(vad[1]), number(vad[2])));
            }
        }
    }

    private static String number(double v) {
        return v == Math.rint(v) ? String.valueOf((int) v) : String.valueOf(v);
    }
}
