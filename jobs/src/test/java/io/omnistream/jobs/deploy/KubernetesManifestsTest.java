package io.omnistream.jobs.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.jobs.cluster.ClusterJob;
import io.omnistream.jobs.cluster.FlinkConfigKeys;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Kubernetes manifests and Dockerfiles in deploy/k8s agree with the build: the jar the shade configuration
 * produces is the one the job image copies and the FlinkDeployment runs, the entry class exists and accepts the
 * arguments given, every Flink configuration key is one Flink declares, the Kafka version and topics are ours, and
 * every kustomize resource and image exists. (No Docker engine here: the Dockerfiles are checked, not built.)
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static Path root;
    private static Path k8s;
    /** The base resources. */
    private static List<JsonNode> docs;
    /** Base resources and overlay patches. */
    private static List<JsonNode> all;
    private static String pom;
    private static String jobsPom;

    @BeforeAll
    static void load() throws IOException {
        root = Path.of(System.getProperty("omni.project.root", "..")).toAbsolutePath().normalize();
        k8s = root.resolve("deploy/k8s");
        docs = new ArrayList<>();
        all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(k8s)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (f.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                List<JsonNode> d = readAll(f);
                all.addAll(d);
                if (f.startsWith(k8s.resolve("base"))) {
                    docs.addAll(d);
                }
            }
        }
        pom = Files.readString(root.resolve("pom.xml"));
        jobsPom = Files.readString(root.resolve("jobs/pom.xml"));
    }

    private static List<JsonNode> readAll(Path f) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(f.toFile())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isEmpty()) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private static List<JsonNode> kind(String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    /** Every FlinkDeployment as kustomize would render it: base, and base with each overlay's job/config merged. */
    private static List<JsonNode> renderedFlinkDeployments() {
        JsonNode base = kind("FlinkDeployment").get(0);
        List<JsonNode> out = new ArrayList<>(List.of(base));
        for (JsonNode patch : all) {
            if (patch != base && "FlinkDeployment".equals(patch.path("kind").asText())) {
                var merged = (com.fasterxml.jackson.databind.node.ObjectNode) base.deepCopy();
                var spec = (com.fasterxml.jackson.databind.node.ObjectNode) merged.path("spec");
                patch.path("spec").fields().forEachRemaining(e -> {
                    if (e.getValue().isObject() && spec.path(e.getKey()).isObject()) {
                        ((com.fasterxml.jackson.databind.node.ObjectNode) spec.path(e.getKey())).setAll(
                                (com.fasterxml.jackson.databind.node.ObjectNode) e.getValue());
                    } else {
                        spec.set(e.getKey(), e.getValue());
                    }
                });
                out.add(merged);
            }
        }
        return out;
    }

    private static String pomValue(String xml, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">([^<]+)</" + tag + ">").matcher(xml);
        assertThat(m.find()).as("<%s> in pom", tag).isTrue();
        return m.group(1).trim();
    }

    /** {@code <artifactId>-<version>-<classifier>.jar} as the shade plugin names it. */
    private static String shadedJarName() {
        String artifact = pomValue(jobsPom.substring(jobsPom.indexOf("</parent>")), "artifactId");
        String version = pomValue(pom.substring(pom.indexOf("<artifactId>omnistream-parent</artifactId>")), "version");
        return artifact + "-" + version + "-" + pomValue(jobsPom, "shadedClassifierName") + ".jar";
    }

    @Test
    void jobImageCopiesTheShadedJarTheFlinkDeploymentRuns() throws IOException {
        String dockerfile = Files.readString(k8s.resolve("job.Dockerfile"));
        String flinkVersion = pomValue(pom, "flink.version");
        String minor = flinkVersion.substring(0, flinkVersion.lastIndexOf('.'));
        assertThat(dockerfile).containsPattern("(?m)^FROM flink:" + Pattern.quote(minor) + "-java17$");

        Matcher copy = Pattern.compile("(?m)^COPY jobs/target/(\\S+) (/opt/flink/usrlib/\\S+)$").matcher(dockerfile);
        assertThat(copy.find()).as("COPY of the job jar into usrlib").isTrue();
        assertThat(copy.group(1)).isEqualTo(shadedJarName());

        List<JsonNode> deployments = kind("FlinkDeployment");
        assertThat(deployments).isNotEmpty();
        JsonNode base = deployments.stream().filter(d -> d.path("spec").has("image")).findFirst().orElseThrow();
        assertThat(base.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
        assertThat(base.path("spec").path("flinkVersion").asText()).isEqualTo("v" + minor.replace('.', '_'));
        assertThat(base.path("spec").path("job").path("jarURI").asText()).isEqualTo("local://" + copy.group(2));
    }

    @Test
    void entryClassIsTheJobJarsMainClassAndAcceptsTheGivenArguments() throws Exception {
        assertThat(pomValue(jobsPom, "mainClass")).isEqualTo(ClusterJob.class.getName());
        List<JsonNode> rendered = renderedFlinkDeployments();
        assertThat(rendered).hasSize(3);
        for (JsonNode d : rendered) {
            JsonNode job = d.path("spec").path("job");
            if (job.has("entryClass")) {
                Method main = Class.forName(job.path("entryClass").asText()).getMethod("main", String[].class);
                assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
            }
            if (job.has("args")) {
                List<String> args = new ArrayList<>();
                job.path("args").forEach(a -> args.add(a.asText()));
                // picocli rejects unknown options and bad values, as the job would at start
                new CommandLine(new ClusterJob()).parseArgs(args.toArray(String[]::new));
                int p = args.indexOf("--parallelism");
                if (p >= 0 && job.has("parallelism")) {
                    assertThat(args.get(p + 1)).as("--parallelism and spec.job.parallelism agree")
                            .isEqualTo(job.path("parallelism").asText());
                }
                int t = args.indexOf("--transaction-timeout-ms");
                if (t >= 0) {
                    long maxTimeout = kind("Kafka").get(0).path("spec").path("kafka").path("config")
                            .path("transaction.max.timeout.ms").asLong();
                    assertThat(Long.parseLong(args.get(t + 1))).isLessThan(maxTimeout);
                }
            }
        }
        assertThat(KafkaConnectorConfig.live().transactionTimeout().toMillis())
                .isLessThan(kind("Kafka").get(0).path("spec").path("kafka").path("config").path("transaction.max.timeout.ms").asLong());
    }

    @Test
    void everyFlinkConfigurationKeyIsDeclaredByFlink() {
        Set<String> unknown = new TreeSet<>();
        int checked = 0;
        for (JsonNode d : all.stream().filter(d -> "FlinkDeployment".equals(d.path("kind").asText())).toList()) {
            var keys = d.path("spec").path("flinkConfiguration").fieldNames();
            while (keys.hasNext()) {
                String key = keys.next();
                checked++;
                if (!FlinkConfigKeys.isKnown(key)) {
                    unknown.add(key);
                }
            }
        }
        assertThat(checked).isGreaterThan(10);
        assertThat(unknown).as("keys Flink %s does not declare", pomValue(pom, "flink.version")).isEmpty();
        assertThat(FlinkConfigKeys.isKnown("state.backend.typo")).isFalse();
    }

    @Test
    void gpuTaskManagerOptionRequestsNvidiaGpus() {
        List<JsonNode> gpu = renderedFlinkDeployments().stream()
                .filter(d -> d.path("spec").path("taskManager").path("podTemplate").toString().contains("nvidia.com/gpu"))
                .toList();
        assertThat(gpu).hasSize(1);
        JsonNode container = gpu.get(0).path("spec").path("taskManager").path("podTemplate").path("spec").path("containers").get(0);
        assertThat(container.path("name").asText()).isEqualTo("flink-main-container");
        assertThat(container.path("resources").path("limits").path("nvidia.com/gpu").asInt()).isPositive();
    }

    @Test
    void kafkaIsStrimziKraftWithOurVersionAndTopics() {
        JsonNode kafka = kind("Kafka").stream().filter(k -> k.path("spec").path("kafka").has("version")).findFirst().orElseThrow();
        assertThat(kafka.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1beta2");
        assertThat(kafka.path("metadata").path("annotations").path("strimzi.io/kraft").asText()).isEqualTo("enabled");
        assertThat(kafka.path("spec").path("kafka").path("version").asText()).isEqualTo(pomValue(pom, "kafka.version"));
        String cluster = kafka.path("metadata").path("name").asText();
        assertThat(kind("KafkaNodePool")).isNotEmpty().allSatisfy(pool ->
                assertThat(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo(cluster));
        List<String> topics = kind("KafkaTopic").stream().map(t -> t.path("spec").path("topicName").asText()).sorted().toList();
        assertThat(topics).containsExactlyInAnyOrderElementsOf(OmniTopics.ALL);
        String bootstrap = cluster + "-kafka-bootstrap:9092";
        for (JsonNode d : renderedFlinkDeployments()) {
            if (d.path("spec").path("job").has("args")) {
                assertThat(d.path("spec").path("job").path("args").toString()).contains(bootstrap);
            }
        }
        assertThat(kind("ConfigMap").get(0).path("data").path("OMNI_KAFKA_BOOTSTRAP").asText()).isEqualTo(bootstrap);
    }

    @Test
    void edgeServiceExposesTheContainersSignalingAndUdpMediaPorts() {
        JsonNode deployment = kind("Deployment").stream()
                .filter(d -> d.path("metadata").path("name").asText().equals("omnistream-edge")).findFirst().orElseThrow();
        JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").get(0);
        Set<String> containerPorts = new HashSet<>();
        container.path("ports").forEach(p -> containerPorts.add(p.path("name").asText() + "/" + p.path("protocol").asText()));
        JsonNode service = kind("Service").stream()
                .filter(s -> s.path("metadata").path("name").asText().equals("omnistream-edge")).findFirst().orElseThrow();
        int udp = 0;
        for (JsonNode p : service.path("spec").path("ports")) {
            assertThat(containerPorts).contains(p.path("targetPort").asText() + "/" + p.path("protocol").asText());
            udp += p.path("protocol").asText().equals("UDP") ? 1 : 0;
        }
        assertThat(udp).isPositive();
        assertThat(kind("ConfigMap").get(0).path("data").path("OMNI_EDGE_ICE_SERVERS").asText()).contains("turn:");
    }

    @Test
    void kustomizeResourcesPatchesAndImagesExist() throws IOException {
        Set<String> usedImages = new TreeSet<>();
        for (JsonNode d : docs) {
            collectImages(d, usedImages);
        }
        int kustomizations = 0;
        try (Stream<Path> files = Files.walk(k8s)) {
            for (Path k : files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList()) {
                kustomizations++;
                JsonNode kz = readAll(k).get(0);
                for (JsonNode r : kz.path("resources")) {
                    Path target = k.getParent().resolve(r.asText()).normalize();
                    assertThat(Files.isRegularFile(target) || Files.isRegularFile(target.resolve("kustomization.yaml")))
                            .as("%s: resource %s", k2(k), r.asText()).isTrue();
                }
                for (JsonNode p : kz.path("patches")) {
                    assertThat(k.getParent().resolve(p.path("path").asText())).as("%s: patch", k2(k)).isRegularFile();
                    String kind = p.path("target").path("kind").asText();
                    String name = p.path("target").path("name").asText();
                    assertThat(docs).as("%s: patch target %s/%s", k2(k), kind, name).anyMatch(d ->
                            d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name));
                }
                for (JsonNode i : kz.path("images")) {
                    assertThat(usedImages).as("%s: image", k2(k)).contains(i.path("name").asText());
                }
            }
        }
        assertThat(kustomizations).isEqualTo(3); // base, dev, prod
        assertThat(usedImages).contains("omnistream/job", "omnistream/edge");
        String edge = Files.readString(k8s.resolve("edge.Dockerfile"));
        assertThat(edge).contains("libpulse0");
        // the edge jar is the second shade execution of the jobs module (classifier "edge")
        assertThat(jobsPom).contains("<shadedClassifierName>edge</shadedClassifierName>",
                "<mainClass>" + io.omnistream.jobs.cluster.EdgeProcess.class.getName() + "</mainClass>");
        assertThat(edge).contains("COPY jobs/target/" + shadedJarName().replace("-job.jar", "-edge.jar") + " ");
    }

    private static String k2(Path k) {
        return k8s.relativize(k).toString();
    }

    private static void collectImages(JsonNode n, Set<String> out) {
        if (n.isObject()) {
            var fields = n.fields();
            while (fields.hasNext()) {
                var e = fields.next();
                if (e.getKey().equals("image") && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collectImages(e.getValue(), out);
                }
            }
        } else if (n.isArray()) {
            n.forEach(c -> collectImages(c, out));
        }
    }
}
