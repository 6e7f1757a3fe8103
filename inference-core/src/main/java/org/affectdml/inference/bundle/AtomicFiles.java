package org.affectdml.inference.bundle;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Whole-file writes that readers see entirely or not at all: a temporary file in the same directory, then a rename. */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    public static void write(Path target, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, data);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + target.getParent() + " cannot rename atomically", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
