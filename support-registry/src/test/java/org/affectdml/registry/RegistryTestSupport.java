package org.affectdml.registry;

import com.google.protobuf.ByteString;
import io.grpc.stub.AbstractStub;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyKind;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

/** Keys, requests and generated "photos" with one look per emotion class. */
final class RegistryTestSupport {

    static final String ADMIN_KEY = "test-admin-key";
    static final String CLIENT_KEY = "test-client-key";

    private RegistryTestSupport() {
    }

    static <S extends AbstractStub<S>> S withKey(S stub, String key) {
        return org.affectdml.service.testing.GrpcTestChannels.withKey(stub, key);
    }

    static CreateTaxonomyRequest taxonomy(String name, String... classes) {
        Taxonomy.Builder t = Taxonomy.newBuilder().setName(name).setKind(TaxonomyKind.TAXONOMY_KIND_CATEGORICAL)
                .setDescription("test taxonomy " + name);
        for (String c : classes) {
            t.addClasses(EmotionClass.newBuilder().setName(c));
        }
        return CreateTaxonomyRequest.newBuilder().setTaxonomy(t).build();
    }

    /** A scene whose colours stand for a class: background, person block. */
    static BufferedImage scene(int variant) {
        Color[][] looks = {
                {Color.GREEN, Color.RED}, {Color.BLUE, Color.YELLOW}, {Color.DARK_GRAY, Color.WHITE}, {Color.ORANGE, Color.CYAN}};
        Color[] look = looks[variant % looks.length];
        return TestImages.scene(160, 120, look[0], look[1], 40, 20, 110, 110);
    }

    static final PersonBox BOX = PersonBox.newBuilder().setX1(40).setY1(20).setX2(110).setY2(110).build();

    static byte[] nearDuplicate(int variant) {
        BufferedImage src = scene(variant);
        BufferedImage scaled = new BufferedImage(128, 96, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.drawImage(src, 0, 0, 128, 96, null);
        g.dispose();
        return TestImages.jpeg(scaled);
    }

    static final PersonBox NEAR_BOX = PersonBox.newBuilder().setX1(30).setY1(14).setX2(90).setY2(90).build();

    static AddSupportRequest support(String taxonomy, String className, byte[] image, PersonBox box) {
        return AddSupportRequest.newBuilder().setTaxonomy(taxonomy).setClassName(className)
                .setImage(Image.newBuilder().setData(ByteString.copyFrom(image))).setBox(box).putMetadata("source", "test").build();
    }

    static ClassifyRequest classify(String taxonomy, byte[] image, PersonBox box) {
        return ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(Image.newBuilder().setData(ByteString.copyFrom(image)))
                .setBox(box).build();
    }

    /** Creates {@code name} with classes joy, anger, calm and one support each (scenes 0, 1, 2). */
    static void threeClassTaxonomy(org.affectdml.proto.v1.TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin, String name) {
        String[] classes = {"joy", "anger", "calm"};
        admin.createTaxonomy(taxonomy(name, classes));
        for (int i = 0; i < classes.length; i++) {
            admin.addSupport(support(name, classes[i], TestImages.png(scene(i)), BOX));
        }
    }
}
