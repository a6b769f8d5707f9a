package io.omnistream.loadtests.loop;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;

/**
 * Lets a benchmark serve the web client from the source tree ({@code -Dloop.webroot=connectors/src/main/resources})
 * instead of the installed connectors jar, so an edit of client.js is measured without reinstalling the module.
 * Vert.x resolves the edge's static files through the thread context class loader captured when the edge starts;
 * this loader answers {@code webroot/...} from the folder first and everything else from its parent.
 */
final class DevWebRoot extends ClassLoader {
    private final Path root;

    private DevWebRoot(Path root, ClassLoader parent) {
        super(parent);
        this.root = root;
    }

    /** Installs the override on the current thread when the property is set; returns what to restore. */
    static ClassLoader installFromProperty() {
        String dir = System.getProperty("loop.webroot");
        if (dir != null && !dir.isBlank()) {
            return install(Path.of(dir));
        }
        return Thread.currentThread().getContextClassLoader();
    }

    /** Serves {@code resourcesDir/webroot} to edges started on this thread from now on; returns what to restore. */
    static ClassLoader install(Path resourcesDir) {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Path p = resourcesDir.toAbsolutePath();
        if (!Files.isDirectory(p.resolve("webroot"))) {
            throw new IllegalArgumentException("the web root override must contain a webroot/ folder: " + p);
        }
        Thread.currentThread().setContextClassLoader(new DevWebRoot(p, previous));
        System.out.println("loop: serving the web client from " + p.resolve("webroot"));
        return previous;
    }

    @Override
    public URL getResource(String name) {
        URL local = local(name);
        return local != null ? local : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        URL local = local(name);
        return local != null ? Collections.enumeration(java.util.List.of(local)) : super.getResources(name);
    }

    private URL local(String name) {
        if (!name.startsWith("webroot")) {
            return null;
        }
        Path p = root.resolve(name);
        try {
            return Files.exists(p) ? p.toUri().toURL() : null;
        } catch (MalformedURLException e) {
            return null;
        }
    }
}
