package io.omnistream.jobs.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code omni} command line: {@code omni run} starts the whole system embedded in one process,
 * {@code omni submit} sends the session pipeline to a remote Flink cluster.
 *
 * <p>Every option may also come from a properties file given with {@code --config FILE} (keys are the long option
 * names without dashes, e.g. {@code kafka-bootstrap=host:9092}); flags win over the file.
 */
@Command(name = "omni", mixinStandardHelpOptions = true, version = "omnistream 0.1.0",
        description = "Omnistream: real-time multimodal customer-service pipeline (WebRTC edge, Kafka, Flink).",
        subcommands = {RunCommand.class, SubmitCommand.class, ClusterCommand.class, CommandLine.HelpCommand.class})
public final class OmniCommand implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The command line with the defaults of the {@code --config} file, if one is named in {@code args}. */
    public static CommandLine commandLine(String[] args) {
        CommandLine cmd = new CommandLine(new OmniCommand());
        Path config = configFile(args);
        if (config != null) {
            if (!Files.isRegularFile(config)) {
                throw new CommandLine.ParameterException(cmd, "config file not found: " + config);
            }
            cmd.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(new File(config.toString())));
        }
        return cmd;
    }

    private static Path configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        return null;
    }
}
