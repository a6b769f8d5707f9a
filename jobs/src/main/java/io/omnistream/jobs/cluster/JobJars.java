package io.omnistream.jobs.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Finds or makes the jar that is submitted to a cluster. The shaded job jar ({@code -Ppackage}, classifier
 * {@code job}) is what goes to a real cluster and into the Kubernetes image; a cluster started by
 * {@code omni cluster up} already has every class on its classpath, so there a thin jar of the jobs module's own
 * classes with {@link ClusterJob} as its main class is enough, and it can be made without a Maven package run.
 */
public final class JobJars {
    /** Main class of every job jar. */
    public static final String MAIN_CLASS = ClusterJob.class.getName();

    private JobJars() {}

    /**
     * {@code jar} if given, else a thin jar written to {@code dir}: the local cluster has every class on its
     * classpath, so uploading the ~300 MB shaded jar there would only cost time.
     */
    public static Path resolve(Path jar, Path dir) throws IOException {
        if (jar != null) {
            if (!Files.isRegularFile(jar)) {
                throw new IOException("job jar not found: " + jar);
            }
            return jar;
        }
        return thinJar(dir.resolve("omnistream-jobs-thin.jar"));
    }

    /** Writes a jar of the classes beside {@link ClusterJob} (the jobs module's output) with its main class set. */
    public static Path thinJar(Path out) throws IOException {
        Path classes;
        try {
            classes = Path.of(ClusterJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        if (Files.isRegularFile(classes)) {
            return classes; // already a jar
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, MAIN_CLASS);
        Files.createDirectories(out.getParent());
        try (OutputStream file = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(file, manifest);
                Stream<Path> tree = Files.walk(classes)) {
            for (Path p : tree.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, jar);
                jar.closeEntry();
            }
        }
        return out;
    }
}
