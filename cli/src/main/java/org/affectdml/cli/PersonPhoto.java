package org.affectdml.cli;

import com.google.protobuf.ByteString;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** The photo and the person box(es) a command sends: {@code IMAGE --box x1,y1,x2,y2 [--box ...]}. */
public class PersonPhoto {

    @CommandLine.Parameters(index = "0", description = "JPEG or PNG image")
    Path image;

    @CommandLine.Option(names = "--box", required = true, description = "person box x1,y1,x2,y2 in pixels of the image as "
            + "displayed (after EXIF orientation); classify takes several")
    List<String> boxes;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /** The encoded file as the API takes it (media type left empty: the services tell it from the bytes). */
    Image protoImage() {
        try {
            return Image.newBuilder().setData(ByteString.copyFrom(Endpoints.read(image))).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one box of a command that takes one. */
    PersonBox personBox() {
        if (boxes.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "this command takes one --box, got " + boxes.size());
        }
        return Endpoints.personBox(Endpoints.parseBox(boxes.get(0)));
    }

    List<PersonBox> personBoxes() {
        return boxes.stream().map(b -> Endpoints.personBox(Endpoints.parseBox(b))).toList();
    }

    String fileName() {
        return image.getFileName().toString();
    }
}
