package io.omnistream.jobs.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import io.omnistream.operators.perception.ModelFiles;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A real Flink standalone session cluster on this machine, started from the project's own classpath: one JobManager
 * process ({@code StandaloneSessionClusterEntrypoint}), N TaskManager processes ({@code TaskManagerRunner}) sharing a
 * generated {@code config.yaml}, and a Kafka broker process ({@code EmbeddedKafkaBroker}). Everything it writes —
 * configuration, logs, pids, checkpoints, savepoints, Kafka data — lives under one run directory, so a later
 * {@code omni cluster status|down} (another JVM) finds the processes again, and fault tests can kill single
 * processes with SIGKILL and start them again.
 */
public final class LocalFlinkCluster implements AutoCloseable {
    public static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    public static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    public static final String KAFKA_MAIN = "io.omnistream.connectors.kafka.EmbeddedKafkaBroker";
    public static final String EDGE_MAIN = EdgeProcess.class.getName();
    /** Written to the run directory on start: REST address, Kafka bootstrap, process names. */
    public static final String STATE_FILE = "cluster.properties";

    /** The --add-opens/--add-exports Flink and Kafka need on Java 17, used when deploy/local/java-opts is not found. */
    private static final List<String> DEFAULT_MODULE_OPTS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED");

    private final ClusterConfig config;
    final String classpath;
    private final Path runDir;
    private int restPort;
    private int rpcPort;
    private int kafkaPort;
    private int kafkaControllerPort;

    /**
     * @param classpath the classpath of every process; must hold Flink's runtime, the Kafka broker and the job's
     *     classes (the project's runtime classpath, see {@link #projectClasspath()})
     */
    public LocalFlinkCluster(ClusterConfig config, String classpath) {
        this.config = config.validate();
        // the processes run in the run directory: relative entries would point elsewhere
        this.classpath = Arrays.stream(classpath.split(java.io.File.pathSeparator)).filter(e -> !e.isBlank())
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        this.runDir = config.runDir.toAbsolutePath();
        this.restPort = config.restPort;
        this.rpcPort = config.rpcPort;
        this.kafkaPort = config.kafkaPort;
        this.kafkaControllerPort = config.kafkaControllerPort;
    }

    /** The classpath of this JVM, without build-tool entries; the cluster processes run on it. */
    public static String projectClasspath() {
        return System.getProperty("java.class.path");
    }

    /** Starts Kafka (if configured), the JobManager and the TaskManagers; returns when all are ready. */
    public LocalFlinkCluster start() throws IOException, InterruptedException {
        if (Files.exists(runDir.resolve(STATE_FILE)) && !runningProcesses().isEmpty()) {
            throw new IllegalStateException("a cluster is already running from " + runDir + ": " + runningProcesses().keySet());
        }
        for (Path dir : List.of(runDir, logDir(), pidDir(), confDir(), runDir.resolve("tmp"), runDir.resolve("web-upload"))) {
            Files.createDirectories(dir);
        }
        restPort = restPort == 0 ? freePort() : restPort;
        rpcPort = rpcPort == 0 ? freePort() : rpcPort;
        if (config.startKafka) {
            kafkaPort = kafkaPort == 0 ? freePort() : kafkaPort;
            kafkaControllerPort = kafkaControllerPort == 0 ? freePort() : kafkaControllerPort;
        }
        writeConfig();
        Files.writeString(confDir().resolve("classpath.args"), "-cp\n\"" + classpath.replace("\\", "\\\\") + "\"\n");
        writeState();

        if (config.startKafka) {
            startKafka();
        }
        Configuration conf = loadedConfig();
        JobManagerProcessSpec jm = JobManagerProcessUtils.processSpecFromConfig(conf);
        List<String> jmArgs = new ArrayList<>(List.of("--configDir", confDir().toString(),
                "-D", "io.tmp.dirs=" + tmpDir("jobmanager")));
        jmArgs.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(jm)));
        launch("jobmanager", JOB_MANAGER_MAIN, jobManagerJvmOptions(jm, conf), jmArgs);
        for (int i = 1; i <= config.taskManagers; i++) {
            startTaskManager(i);
        }
        awaitTaskManagers(config.taskManagers, config.startTimeout);
        if (config.startEdge) {
            startEdge();
        }
        return this;
    }

    /** Starts the WebRTC edge process against the cluster's Kafka and waits until it serves. */
    public void startEdge() throws IOException, InterruptedException {
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + config.edgeHeapMb + "m", "-XX:+UseG1GC"));
        jvm.addAll(moduleOptions());
        Path log = launch("edge", EDGE_MAIN, jvm, List.of("--kafka-bootstrap", kafkaBootstrap(),
                "--port", Integer.toString(config.edgePort)));
        awaitLine("edge", log, "edge.url=");
    }

    /** The URL the edge printed, or null when it is not running. */
    public String edgeUrl() throws IOException {
        Path log = logDir().resolve("edge.out");
        if (!Files.exists(log)) {
            return null;
        }
        return Files.readAllLines(log).stream().filter(l -> l.startsWith("edge.url=")).reduce((a, b) -> b)
                .map(l -> l.substring("edge.url=".length())).orElse(null);
    }

    private void awaitLine(String name, Path log, String line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + config.startTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log, StandardCharsets.UTF_8).contains(line)) {
                return;
            }
            if (!isAlive(name)) {
                throw new IllegalStateException("the " + name + " process exited; see " + log);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(name + " did not start within " + config.startTimeout + "; see " + log);
    }

    /** Starts TaskManager number {@code i} (1-based); it registers with the running JobManager. */
    public void startTaskManager(int i) throws IOException {
        String name = "taskmanager-" + i;
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(loadedConfig());
        List<String> args = new ArrayList<>(List.of("--configDir", confDir().toString(),
                "-D", "taskmanager.resource-id=" + name, "-D", "io.tmp.dirs=" + tmpDir(name)));
        // the derived memory sizes as dynamic properties, the way Flink's start scripts pass them
        args.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
        launch(name, TASK_MANAGER_MAIN, taskManagerJvmOptions(spec), args);
    }

    /** Starts the Kafka broker process and waits until it serves clients; keeps its data across restarts. */
    public void startKafka() throws IOException, InterruptedException {
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + config.kafkaHeapMb + "m", "-XX:+UseG1GC"));
        jvm.addAll(moduleOptions());
        Path log = launch("kafka", KAFKA_MAIN, jvm, List.of("--port", Integer.toString(kafkaPort),
                "--controller-port", Integer.toString(kafkaControllerPort),
                "--data-dir", config.kafkaDataDir().toAbsolutePath().toString(),
                "--partitions", Integer.toString(config.partitions)));
        awaitLine("kafka", log, "bootstrap.servers=");
    }

    /** Kills process {@code name} ("jobmanager", "taskmanager-2", "kafka") with SIGKILL and waits until it is gone. */
    public long kill(String name) throws IOException {
        Optional<ProcessHandle> p = process(name);
        if (p.isEmpty()) {
            throw new IllegalStateException(name + " is not running");
        }
        long killedAt = System.currentTimeMillis();
        p.get().destroyForcibly();
        p.get().onExit().join();
        Files.deleteIfExists(pidDir().resolve(name + ".pid"));
        return killedAt;
    }

    /** Stops process {@code name} with SIGTERM (clean shutdown), SIGKILL after {@code grace}. */
    public void stop(String name, Duration grace) throws IOException {
        Optional<ProcessHandle> p = process(name);
        if (p.isPresent()) {
            terminate(p.get(), grace);
        }
        Files.deleteIfExists(pidDir().resolve(name + ".pid"));
    }

    /** Waits until {@code n} TaskManagers are registered with the JobManager. */
    public void awaitTaskManagers(int n, Duration timeout) throws InterruptedException, IOException {
        FlinkRestClient rest = rest();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "REST not up";
        while (System.nanoTime() < deadline) {
            if (!isAlive("jobmanager")) {
                throw new IllegalStateException("the JobManager process exited; see " + logDir().resolve("jobmanager.out"));
            }
            try {
                int tms = rest.overview().path("taskmanagers").asInt();
                if (tms == n) {
                    return;
                }
                last = tms + " of " + n + " TaskManagers registered";
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new IOException("cluster not ready within " + timeout + ": " + last + "; logs in " + logDir());
    }

    public FlinkRestClient rest() {
        return new FlinkRestClient("localhost:" + restPort);
    }

    public String restAddress() {
        return "localhost:" + restPort;
    }

    public String kafkaBootstrap() {
        return config.startKafka ? "localhost:" + kafkaPort : config.externalKafka;
    }

    public ClusterConfig config() {
        return config;
    }

    public Path logDir() {
        return runDir.resolve("log");
    }

    public Path pidDir() {
        return runDir.resolve("pids");
    }

    public Path confDir() {
        return runDir.resolve("conf");
    }

    /** Stops every process of the cluster: edge, TaskManagers, then JobManager, then Kafka. */
    @Override
    public void close() throws IOException {
        stopAll(runDir, Duration.ofSeconds(15));
    }

    /** Stops every process recorded under {@code runDir} (used by {@code omni cluster down} from another JVM). */
    public static List<String> stopAll(Path runDir, Duration grace) throws IOException {
        Map<String, ProcessHandle> running = runningProcesses(runDir.toAbsolutePath());
        List<String> order = new ArrayList<>(running.keySet());
        order.sort((a, b) -> Integer.compare(stopRank(a), stopRank(b)));
        for (String name : order) {
            terminate(running.get(name), grace);
        }
        Path pids = runDir.toAbsolutePath().resolve("pids");
        if (Files.isDirectory(pids)) {
            try (Stream<Path> files = Files.list(pids)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        return order;
    }

    private static int stopRank(String name) {
        return name.equals("edge") ? 0 : name.startsWith("taskmanager") ? 1 : name.equals("jobmanager") ? 2 : 3;
    }

    /** Process name → live process, from the pid files under the run directory. */
    public Map<String, ProcessHandle> runningProcesses() throws IOException {
        return runningProcesses(runDir);
    }

    public static Map<String, ProcessHandle> runningProcesses(Path runDir) throws IOException {
        Map<String, ProcessHandle> out = new TreeMap<>();
        Path pids = runDir.resolve("pids");
        if (!Files.isDirectory(pids)) {
            return out;
        }
        try (Stream<Path> files = Files.list(pids)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                String name = f.getFileName().toString().replace(".pid", "");
                long pid = Long.parseLong(Files.readString(f).trim());
                ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> isOurs(h, name))
                        .ifPresent(h -> out.put(name, h));
            }
        }
        return out;
    }

    /** Guards against a recycled pid: the process's command line must name the expected main class. */
    private static boolean isOurs(ProcessHandle h, String name) {
        String main = name.equals("jobmanager") ? JOB_MANAGER_MAIN
                : name.startsWith("taskmanager") ? TASK_MANAGER_MAIN : name.equals("kafka") ? KAFKA_MAIN
                : name.equals("edge") ? EDGE_MAIN : null;
        Optional<String[]> args = h.info().arguments();
        return main == null || args.isEmpty() || Arrays.asList(args.get()).contains(main);
    }

    public boolean isAlive(String name) throws IOException {
        return process(name).isPresent();
    }

    private Optional<ProcessHandle> process(String name) throws IOException {
        return Optional.ofNullable(runningProcesses().get(name));
    }

    private static void terminate(ProcessHandle p, Duration grace) {
        p.destroy();
        try {
            p.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            p.onExit().join();
        }
    }

    private Path launch(String name, String mainClass, List<String> jvmOptions, List<String> args) throws IOException {
        Path out = logDir().resolve(name + ".out");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dlog.file=" + logDir().resolve(name + ".log"));
        command.add("-Dlog4j.configurationFile=" + confDir().resolve("log4j2.properties").toUri());
        command.add("-Domni.cluster.process=" + name);
        // the operators load model files; the processes run in the run directory, so name the directory explicitly
        Path models = ModelFiles.modelsDir().toAbsolutePath();
        if (Files.isDirectory(models)) {
            command.add("-Domni.models.dir=" + models);
        }
        String projectRoot = System.getProperty("omni.project.root");
        if (projectRoot != null) {
            command.add("-Domni.project.root=" + Path.of(projectRoot).toAbsolutePath());
        }
        command.add("@" + confDir().resolve("classpath.args"));
        command.add(mainClass);
        command.addAll(args);
        Process p = new ProcessBuilder(command)
                .directory(runDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        Files.writeString(pidDir().resolve(name + ".pid"), Long.toString(p.pid()));
        return out;
    }

    private String tmpDir(String name) throws IOException {
        Path dir = runDir.resolve("tmp").resolve(name);
        Files.createDirectories(dir);
        return dir.toString();
    }

    /** The flat keys of the generated {@code config.yaml}; every key is checked against Flink's own options. */
    Map<String, String> flinkSettings() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "localhost");
        c.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        c.put("jobmanager.bind-host", "localhost");
        c.put("taskmanager.bind-host", "localhost");
        c.put("taskmanager.host", "localhost");
        c.put("rest.address", "localhost");
        c.put("rest.bind-address", "localhost");
        c.put("rest.port", Integer.toString(restPort));
        c.put("jobmanager.memory.process.size", config.jobManagerMemoryMb + "m");
        c.put("taskmanager.memory.process.size", config.taskManagerMemoryMb + "m");
        c.put("taskmanager.numberOfTaskSlots", Integer.toString(config.slotsPerTaskManager));
        c.put("parallelism.default", "1");
        c.put("taskmanager.load-balance.mode", "SLOTS");
        c.put("execution.checkpointing.dir", runDir.resolve("checkpoints").toUri().toString());
        c.put("execution.checkpointing.savepoint-dir", runDir.resolve("savepoints").toUri().toString());
        c.put("restart-strategy.type", "fixed-delay");
        c.put("restart-strategy.fixed-delay.attempts", Integer.toString(Integer.MAX_VALUE));
        c.put("restart-strategy.fixed-delay.delay", config.restartDelay.toMillis() + " ms");
        c.put("heartbeat.interval", Long.toString(config.heartbeatInterval.toMillis()));
        c.put("heartbeat.timeout", Long.toString(config.heartbeatTimeout.toMillis()));
        c.put("classloader.resolve-order", config.parentFirstClassLoading ? "parent-first" : "child-first");
        c.put("web.submit.enable", "true");
        c.put("web.upload.dir", runDir.resolve("web-upload").toString());
        c.put("env.java.opts.all", String.join(" ", moduleOptions()));
        for (String key : c.keySet()) {
            if (!FlinkConfigKeys.isKnown(key)) {
                throw new IllegalStateException("not a Flink configuration key: " + key);
            }
        }
        return c;
    }

    void writeConfig() throws IOException {
        StringBuilder yaml = new StringBuilder("# Generated by omni cluster up; Flink 2 reads config.yaml.\n");
        flinkSettings().forEach((k, v) -> yaml.append(k).append(": ").append(quote(v)).append('\n'));
        Files.writeString(confDir().resolve(GlobalConfiguration.FLINK_CONF_FILENAME), yaml.toString());
        Files.writeString(confDir().resolve("log4j2.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "appender.file.type = File",
                "appender.file.name = file",
                "appender.file.fileName = ${sys:log.file}",
                "appender.file.append = true",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                "logger.kafkaserver.name = kafka",
                "logger.kafkaserver.level = WARN",
                "logger.pekko.name = org.apache.pekko",
                "logger.pekko.level = WARN",
                ""));
    }

    private static String quote(String v) {
        return v.matches("[A-Za-z0-9_./:-]+") && !v.contains(": ") ? v : "'" + v.replace("'", "''") + "'";
    }

    private void writeState() throws IOException {
        Properties p = new Properties();
        p.setProperty("rest", restAddress());
        p.setProperty("kafka", kafkaBootstrap());
        p.setProperty("taskmanagers", Integer.toString(config.taskManagers));
        p.setProperty("savepoints", runDir.resolve("savepoints").toUri().toString());
        try (var out = Files.newOutputStream(runDir.resolve(STATE_FILE))) {
            p.store(out, "omni cluster");
        }
    }

    /** The state written by {@link #start()}: rest, kafka, taskmanagers, savepoints; empty if none. */
    public static Properties state(Path runDir) throws IOException {
        Properties p = new Properties();
        Path f = runDir.resolve(STATE_FILE);
        if (Files.exists(f)) {
            try (var in = Files.newInputStream(f)) {
                p.load(in);
            }
        }
        return p;
    }

    /** JVM memory flags exactly as Flink's own start scripts derive them from the configuration. */
    private static List<String> taskManagerJvmOptions(TaskExecutorProcessSpec spec) {
        List<String> opts = new ArrayList<>(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
        opts.add("-XX:+UseG1GC");
        // JavaCPP (ONNX/OpenCV presets of the perception operators) otherwise caps native memory near -Xmx and
        // fails with "Physical memory usage is too high"; Flink's memory model already bounds the process
        opts.add("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
        opts.addAll(moduleOptions());
        return opts;
    }

    private static List<String> jobManagerJvmOptions(JobManagerProcessSpec spec, Configuration conf) {
        List<String> opts = new ArrayList<>(split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)));
        opts.add("-XX:+UseG1GC");
        opts.addAll(moduleOptions());
        return opts;
    }

    private Configuration loadedConfig() {
        return GlobalConfiguration.loadConfiguration(confDir().toString());
    }

    private static List<String> split(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(x -> !x.isEmpty()).toList();
    }

    /** The module flags of deploy/local/java-opts (one list for every JVM of the project), else the built-in list. */
    static List<String> moduleOptions() {
        Path root = Path.of(System.getProperty("omni.project.root", "."));
        Path javaOpts = root.resolve("deploy/local/java-opts");
        if (Files.isRegularFile(javaOpts)) {
            try {
                List<String> opts = Arrays.stream(Files.readString(javaOpts).split("[\\s\"\\\\]+"))
                        .filter(t -> t.startsWith("--add-opens=") || t.startsWith("--add-exports="))
                        .toList();
                if (!opts.isEmpty()) {
                    return opts;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return DEFAULT_MODULE_OPTS;
    }

    /** A port that was free a moment ago. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("localhost", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
