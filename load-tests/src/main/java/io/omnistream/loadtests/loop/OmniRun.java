package io.omnistream.loadtests.loop;

import io.omnistream.jobs.cli.RunCommand;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * {@code omni run} in this JVM for a benchmark or test: embedded broker, Flink MiniCluster with the session pipeline
 * and the WebRTC edge, all on free ports, parsed from the same options a person would type.
 */
public final class OmniRun implements AutoCloseable {
    private final RunCommand run = new RunCommand();
    public final String kafkaBootstrap;
    public final String edgeUrl;

    public OmniRun(Path dataDir, String... extraArgs) throws Exception {
        String[] args = new String[4 + extraArgs.length];
        args[0] = "--kafka-port=0";
        args[1] = "--edge-port=0";
        args[2] = "--flink-ui-port=0";
        args[3] = "--data-dir=" + dataDir;
        System.arraycopy(extraArgs, 0, args, 4, extraArgs.length);
        new CommandLine(run).parseArgs(args);
        RunCommand.Running running = run.start(System.out);
        kafkaBootstrap = running.kafkaBootstrap();
        edgeUrl = running.edgeUrl();
    }

    @Override
    public void close() {
        run.stop();
    }
}
