package io.omnistream.loadtests.loop;

import java.nio.file.Path;

/**
 * {@code omni run} as a child process of the load generator, so that the system's CPU and memory are measured apart
 * from the load generator's own WebRTC clients. Prints {@code OMNI_READY <kafka bootstrap> <edge url>} and runs
 * until its stdin closes.
 */
public final class LoopSystemMain {
    private LoopSystemMain() {}

    public static void main(String[] args) throws Exception {
        ClassLoader previous = DevWebRoot.installFromProperty();
        try (OmniRun run = new OmniRun(Path.of(args[0]))) {
            Thread.currentThread().setContextClassLoader(previous);
            System.out.println("OMNI_READY " + run.kafkaBootstrap + " " + run.edgeUrl);
            System.out.flush();
            while (System.in.read() >= 0) {
                // run until the load generator closes our stdin
            }
        }
        System.exit(0);
    }
}
