package org.affectdml.inference.testing;

import org.affectdml.inference.bundle.DefaultBundleAssembler;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.nio.file.Path;

/** The default bundle assembled from ../shared's real-architecture stand-ins (ResNet-18 encoders, SegFormer-b0 ADE20K). */
public final class StandInBundle {

    private StandInBundle() {
    }

    /** Assembles it into the store (published, not activated); its version. {@code shared}: ../shared (TestImages.sharedDir). */
    public static String assemble(Path shared, ModelStore store, OrtSessionFactory sessions) throws Exception {
        Path models = shared.resolve("models");
        return new DefaultBundleAssembler(sessions).assemble(new DefaultBundleAssembler.Inputs(
                models.resolve("resnet18-arch-untrained.onnx"), models.resolve("resnet18-arch-untrained.onnx"), "features", 224,
                models.resolve("segformer-b0-ade20k-arch-untrained.onnx"), models.resolve("ade20k_classes.txt"), 512), store);
    }

    /** Assembles it and makes it the store's active bundle; its version. */
    public static String activate(Path shared, ModelStore store, OrtSessionFactory sessions) throws Exception {
        String version = assemble(shared, store, sessions);
        store.activate(version, new org.affectdml.inference.bundle.BundleLoader(sessions));
        return version;
    }
}
