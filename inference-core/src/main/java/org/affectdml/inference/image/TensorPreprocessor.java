package org.affectdml.inference.image;

/**
 * Turns a region of an {@link RgbImage} into a normalised NCHW float tensor slice in one pass: the
 * resize, the centre crop and the normalisation are fused, so no intermediate image is allocated.
 */
public final class TensorPreprocessor {

    private TensorPreprocessor() {
    }

    /** Floats one image occupies in the tensor: 3 * height * width. */
    public static int sliceLength(Preprocessing p) {
        return 3 * p.height() * p.width();
    }

    /**
     * Writes the preprocessed region into {@code dst} starting at {@code offset} (channel planes R, G, B,
     * each {@code height x width}, row-major).
     */
    public static void write(RgbImage image, PixelRegion region, Preprocessing p, float[] dst, int offset) {
        int outW = p.width();
        int outH = p.height();
        // The size the region is resized to before the crop, and where the crop starts in it.
        int[] resized = p.resizedSize(region.width(), region.height());
        int resizedW = resized[0];
        int resizedH = resized[1];
        // torchvision CenterCrop: int(round((resized - crop) / 2)), Python's round-half-to-even.
        int cropLeft = (int) Math.rint((resizedW - outW) / 2.0);
        int cropTop = (int) Math.rint((resizedH - outH) / 2.0);

        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        float[] fx = new float[outW];
        sampleGrid(region.width(), resizedW, cropLeft, outW, x0, x1, fx);
        int[] y0 = new int[outH];
        int[] y1 = new int[outH];
        float[] fy = new float[outH];
        sampleGrid(region.height(), resizedH, cropTop, outH, y0, y1, fy);

        float[] scale = new float[3];
        float[] shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = (float) (p.rescale() / p.std()[c]);
            shift[c] = (float) (-p.mean()[c] / p.std()[c]);
        }
        int plane = outW * outH;
        int[] px = image.pixels();
        int stride = image.width();
        int base = region.y() * stride + region.x();
        for (int oy = 0; oy < outH; oy++) {
            int rowA = base + y0[oy] * stride;
            int rowB = base + y1[oy] * stride;
            float wy = fy[oy];
            int outRow = offset + oy * outW;
            for (int ox = 0; ox < outW; ox++) {
                int a = px[rowA + x0[ox]];
                int b = px[rowA + x1[ox]];
                int c = px[rowB + x0[ox]];
                int d = px[rowB + x1[ox]];
                float wx = fx[ox];
                int o = outRow + ox;
                for (int ch = 0, sh = 16; ch < 3; ch++, sh -= 8) {
                    float top = (a >> sh & 0xFF) + wx * ((b >> sh & 0xFF) - (a >> sh & 0xFF));
                    float bottom = (c >> sh & 0xFF) + wx * ((d >> sh & 0xFF) - (c >> sh & 0xFF));
                    float v = top + wy * (bottom - top);
                    dst[o + ch * plane] = v * scale[ch] + shift[ch];
                }
            }
        }
    }

    /**
     * The region resized to {@code width x height} 8-bit pixels with the same bilinear geometry as the tensors:
     * what a remote stage receives instead of full-resolution pixels (rounding to 8 bits moves values by at
     * most half a level).
     */
    public static RgbImage resize(RgbImage image, PixelRegion region, int width, int height) {
        Preprocessing identity = new Preprocessing(Preprocessing.EXACT, 0, width, height, 1.0, new double[3], new double[]{1, 1, 1});
        float[] planes = new float[sliceLength(identity)];
        write(image, region, identity, planes, 0);
        int plane = width * height;
        int[] pixels = new int[plane];
        for (int i = 0; i < plane; i++) {
            pixels[i] = level(planes[i]) << 16 | level(planes[i + plane]) << 8 | level(planes[i + 2 * plane]);
        }
        return new RgbImage(width, height, pixels);
    }

    private static int level(float v) {
        return Math.max(0, Math.min(255, Math.round(v)));
    }

    /**
     * For each output coordinate: the two source samples and the weight of the second, for a source axis
     * of {@code srcSize} resized to {@code resizedSize} of which {@code outSize} samples from {@code start}
     * are kept. Geometry of OpenCV INTER_LINEAR: src = (dst + 0.5) * srcSize / resizedSize - 0.5, clamped.
     */
    static void sampleGrid(int srcSize, int resizedSize, int start, int outSize, int[] i0, int[] i1, float[] frac) {
        double scale = (double) srcSize / resizedSize;
        for (int o = 0; o < outSize; o++) {
            double s = (o + start + 0.5) * scale - 0.5;
            int lo = (int) Math.floor(s);
            float f = (float) (s - lo);
            if (lo < 0) {
                lo = 0;
                f = 0;
            }
            if (lo >= srcSize - 1) {
                lo = srcSize - 1;
                f = 0;
            }
            i0[o] = lo;
            i1[o] = Math.min(lo + 1, srcSize - 1);
            frac[o] = f;
        }
    }
}
