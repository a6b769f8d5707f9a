package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A JVM that started Chromium and then dies by SIGKILL (no shutdown hooks run) still takes every Chromium process
 * with it: the shell watchdog that leads Chromium's process group notices and kills the group.
 */
class ChromiumWatchdogITCase {

    /** The JVM under test: starts Chromium, writes its process group id, then waits to be killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path work = Path.of(args[0]);
            ChromiumBrowser b = new ChromiumBrowser("about:blank", TestMedia.speechWav48k(), TestMedia.astronautY4m(), work);
            Files.writeString(work.resolve("pgid"), Long.toString(b.processGroup()));
            Thread.sleep(120_000);
        }
    }

    @Test
    void chromiumDiesWhenTheJvmThatStartedItIsKilled() throws Exception {
        assumeTrue(Files.isExecutable(ChromiumBrowser.CHROMIUM), "Debian chromium is installed by deploy/local/setup.sh");
        Path work = Files.createTempDirectory(TestMedia.targetDir(), "watchdog-");
        TestMedia.speechWav48k();
        TestMedia.astronautY4m();
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Domni.project.root=" + TestMedia.projectRoot(), Child.class.getName(), work.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("child.log").toFile()).start();
        try {
            Path pgidFile = work.resolve("pgid");
            await(() -> Files.exists(pgidFile), Duration.ofSeconds(60), "child started Chromium");
            long pgid = Long.parseLong(Files.readString(pgidFile).trim());
            assertThat(ChromiumBrowser.groupAlive(pgid)).isTrue();
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor();
            await(() -> !ChromiumBrowser.groupAlive(pgid), Duration.ofSeconds(15), "Chromium group gone");
        } finally {
            child.destroyForcibly();
        }
    }
}
