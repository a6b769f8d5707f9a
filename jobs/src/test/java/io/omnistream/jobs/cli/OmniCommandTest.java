package io.omnistream.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class OmniCommandTest {

    @Test
    void everyCommandPrintsItsHelp() {
        for (String[] args : new String[][] {{"--help"}, {"run", "--help"}, {"submit", "--help"}}) {
            StringWriter text = new StringWriter();
            CommandLine cmd = OmniCommand.commandLine(args);
            cmd.setOut(new PrintWriter(text));
            assertThat(cmd.execute(args)).isZero();
            assertThat(text.toString()).contains("Usage: omni");
        }
    }

    @Test
    void readsOptionDefaultsFromTheConfigFileAndLetsFlagsWin(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("omni.properties");
        Files.writeString(file, "tick-ms=80\nkafka-port=19092\nparallelism=3\n");
        String[] args = {"run", "--config", file.toString(), "--parallelism", "2"};
        CommandLine cmd = OmniCommand.commandLine(args);
        CommandLine.ParseResult parsed = cmd.parseArgs(args);
        RunCommand run = (RunCommand) parsed.subcommand().commandSpec().userObject();

        assertThat(run.kafkaPort).isEqualTo(19092);
        assertThat(run.pipeline.toConfig().align.tick).isEqualTo(Duration.ofMillis(80));
        assertThat(run.pipeline.toConfig().parallelism).isEqualTo(2);
    }

    @Test
    void routingIsOnByDefaultAndNoRoutingRunsEveryPath() {
        String[] on = {"run"};
        RunCommand run = (RunCommand) OmniCommand.commandLine(on).parseArgs(on).subcommand().commandSpec().userObject();
        assertThat(run.pipeline.toConfig().routing.enabled).isTrue();
        String[] off = {"run", "--no-routing"};
        RunCommand plain = (RunCommand) OmniCommand.commandLine(off).parseArgs(off).subcommand().commandSpec().userObject();
        assertThat(plain.pipeline.toConfig().routing.enabled).isFalse();
    }

    @Test
    void gpuStagesFollowTheGpuByDefaultAndCanBeForcedOnOrOff() {
        String[] plain = {"run"};
        RunCommand auto = (RunCommand) OmniCommand.commandLine(plain).parseArgs(plain).subcommand().commandSpec().userObject();
        assertThat(auto.pipeline.toConfig().gpu.mode).isEqualTo(io.omnistream.operators.gpu.GpuStagesConfig.Mode.AUTO);
        String[] on = {"run", "--gpu-stages", "ON"};
        RunCommand forced = (RunCommand) OmniCommand.commandLine(on).parseArgs(on).subcommand().commandSpec().userObject();
        assertThat(forced.pipeline.toConfig().gpu.enabled()).isTrue();
        String[] off = {"run", "--gpu-stages", "OFF"};
        RunCommand none = (RunCommand) OmniCommand.commandLine(off).parseArgs(off).subcommand().commandSpec().userObject();
        assertThat(none.pipeline.toConfig().gpu.enabled()).isFalse();
    }

    @Test
    void rejectsAnOutOfRangeTick() {
        String[] args = {"run", "--tick-ms", "100"};
        CommandLine.ParseResult parsed = OmniCommand.commandLine(args).parseArgs(args);
        RunCommand run = (RunCommand) parsed.subcommand().commandSpec().userObject();
        assertThatThrownBy(() -> run.pipeline.toConfig()).hasMessageContaining("tick");
    }

    @Test
    void submitNeedsAJobManagerAndAJar() {
        StringWriter err = new StringWriter();
        String[] args = {"submit", "--kafka-bootstrap", "k:9092"};
        CommandLine cmd = OmniCommand.commandLine(args);
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute(args)).isNotZero();
        assertThat(err.toString()).contains("--jobmanager").contains("--jar");
    }
}
