package org.affectdml.inference.bundle;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ONNX graph of the default head computes exactly the documented formula. */
class DefaultHeadTest {

    private static double[] unit(float[] x) {
        double n = 0;
        for (float v : x) {
            n += v * v;
        }
        n = Math.max(Math.sqrt(n), 1e-12);
        double[] u = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            u[i] = x[i] / n;
        }
        return u;
    }

    @Test
    void onnxHeadEqualsTheFormulaComputedInJava() throws Exception {
        int di = 5, db = 4, ds = 3, e = 6;
        byte[] model = DefaultHead.build(di, db, ds, e, 7);
        float[] w = DefaultHead.projection(di + db + ds, e, 7);
        Random r = new Random(1);
        float[][] img = new float[2][di];
        float[][] body = new float[2][db];
        float[][] sem = {{1, 0, 1}, {0, 0, 0}};  // second row: no class present, must not produce NaN
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < di; i++) {
                img[n][i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < db; i++) {
                body[n][i] = (float) r.nextGaussian();
            }
        }
        var env = OrtSessionFactory.environment();
        try (OrtSession s = OrtSessionFactory.cpu(1).open(model);
             OnnxTensor a = OnnxTensor.createTensor(env, img);
             OnnxTensor b = OnnxTensor.createTensor(env, body);
             OnnxTensor c = OnnxTensor.createTensor(env, sem);
             var result = s.run(Map.of(Roles.HEAD_IMAGE_FEATURES, a, Roles.HEAD_BODY_FEATURES, b, Roles.HEAD_SEM2VEC, c))) {
            float[][] z = (float[][]) result.get(Roles.HEAD_EMBEDDING).orElseThrow().getValue();
            for (int n = 0; n < 2; n++) {
                double[] fused = new double[di + db + ds];
                System.arraycopy(unit(img[n]), 0, fused, 0, di);
                System.arraycopy(unit(body[n]), 0, fused, di, db);
                System.arraycopy(unit(sem[n]), 0, fused, di + db, ds);
                float[] projected = new float[e];
                for (int j = 0; j < e; j++) {
                    double sum = 0;
                    for (int i = 0; i < fused.length; i++) {
                        sum += fused[i] * w[i * e + j];
                    }
                    projected[j] = (float) sum;
                }
                double[] expected = unit(projected);
                float[] expectedF = new float[e];
                for (int j = 0; j < e; j++) {
                    expectedF[j] = (float) expected[j];
                }
                assertArrayEquals(expectedF, z[n], 1e-5f);
                // Each stream's projection is its block of the product: the image block alone is the image part.
                float[] imageProjection = ((float[][]) result.get(Roles.HEAD_IMAGE_PROJECTION).orElseThrow().getValue())[n];
                double[] imageUnit = unit(img[n]);
                for (int j = 0; j < e; j++) {
                    double sum = 0;
                    for (int i = 0; i < di; i++) {
                        sum += imageUnit[i] * w[i * e + j];
                    }
                    assertEquals(sum, imageProjection[j], 1e-5);
                }
                float[] bodyProjection = ((float[][]) result.get(Roles.HEAD_BODY_PROJECTION).orElseThrow().getValue())[n];
                float[] scene = ((float[][]) result.get(Roles.HEAD_SCENE_PROJECTION).orElseThrow().getValue())[n];
                for (int j = 0; j < e; j++) {
                    assertEquals(projected[j], imageProjection[j] + bodyProjection[j] + scene[j], 1e-5);
                }
            }
        }
    }

    @Test
    void projectionIsReproducibleFromItsSeed() {
        assertArrayEquals(DefaultHead.projection(10, 4, DefaultHead.SEED), DefaultHead.projection(10, 4, DefaultHead.SEED));
        // java.util.Random is specified bit for bit, so the first weight is a fixed number on every JVM.
        assertEquals((float) (new Random(DefaultHead.SEED).nextGaussian() / 2), DefaultHead.projection(10, 4, DefaultHead.SEED)[0]);
    }
}
