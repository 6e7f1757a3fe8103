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

    @Test
    void aChangeToAModuleOfThisRepositoryThatThePackageBundlesMakesItStale() throws Exception {
        write(modules.resolve("some-service/pom.xml"), 100);
        Path library = write(modules.resolve("common-lib/src/main/java/a/Shared.java"), 100);
        write(modules.resolve("common-lib/pom.xml"), 100);
        Path unbundled = write(modules.resolve("other-lib/src/main/java/a/Other.java"), 300);
        Path jar = write(modules.resolve("some-service/target/quarkus-app/quarkus-run.jar"), 200);
        write(modules.resolve("some-service/target/quarkus-app/lib/main/org.affectdml.common-lib-0.1.0-SNAPSHOT.jar"), 200);
        write(modules.resolve("some-service/target/quarkus-app/lib/main/org.example.other-lib-1.0.jar"), 200);
        assertEquals(jar.toAbsolutePath().normalize(), ServiceProcess.packagedApp(modules, "some-service"),
                "a newer module the package does not bundle (" + unbundled.getFileName() + ") does not matter");

        Files.setLastModifiedTime(library, at(300));
        IllegalStateException stale = assertThrows(IllegalStateException.class, () -> ServiceProcess.packagedApp(modules, "some-service"));
        assertTrue(stale.getMessage().contains("Shared.java"), stale.getMessage());
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
