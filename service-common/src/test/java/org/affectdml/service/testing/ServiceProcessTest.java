package org.affectdml.service.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests start the package of the code under test, never a stale one left in target/ by an earlier build. */
class ServiceProcessTest {

    @TempDir
    Path modules;

    @Test
    void thePackageIsUsedOnlyWhileItIsNewerThanEverySourceAndThePom() throws Exception {
        Path module = modules.resolve("some-service");
        Path pom = write(module.resolve("pom.xml"), 100);
        Path source = write(module.resolve("src/main/java/a/Service.java"), 100);
        Path config = write(module.resolve("src/main/resources/application.properties"), 100);
        assertNull(ServiceProcess.packagedApp(modules, "some-service"), "nothing packaged yet");

        Path jar = write(module.resolve("target/quarkus-app/quarkus-run.jar"), 200);
        assertEquals(jar.toAbsolutePath().normalize(), ServiceProcess.packagedApp(modules, "some-service"));

        for (Path changed : new Path[] {source, config, pom}) {
            Files.setLastModifiedTime(changed, at(300));
            IllegalStateException stale = assertThrows(IllegalStateException.class, () -> ServiceProcess.packagedApp(modules, "some-service"));
            assertTrue(stale.getMessage().contains("is older than") && stale.getMessage().contains(changed.getFileName().toString()),
                    stale.getMessage());
            Files.setLastModifiedTime(changed, at(100));
        }
        assertEquals(jar.toAbsolutePath().normalize(), ServiceProcess.packagedApp(modules, "some-service"));
    }

    private static Path write(Path file, long seconds) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, file.getFileName().toString());
        Files.setLastModifiedTime(file, at(seconds));
        return file;
    }

    private static FileTime at(long seconds) {
        return FileTime.from(Instant.ofEpochSecond(1_700_000_000L + seconds));
    }
}
