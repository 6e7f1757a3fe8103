package org.affectdml.cli;

import com.google.protobuf.ByteString;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The photo and the person box a command sends: {@code IMAGE --box x1,y1,x2,y2}. */
public class PersonPhoto {

    @CommandLine.Parameters(index = "0", description = "JPEG or PNG image")
    Path image;

    @CommandLine.Option(names = "--box", required = true, description = "person box x1,y1,x2,y2 in pixels")
    String box;

    /** The encoded file as the API takes it (media type left empty: the services tell it from the bytes). */
    Image protoImage() {
        try {
            return Image.newBuilder().setData(ByteString.copyFrom(Endpoints.read(image))).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    PersonBox personBox() {
        return Endpoints.personBox(Endpoints.parseBox(box));
    }

    String fileName() {
        return image.getFileName().toString();
    }
}
