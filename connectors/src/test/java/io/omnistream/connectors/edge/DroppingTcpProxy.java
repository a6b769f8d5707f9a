package io.omnistream.connectors.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A plain TCP forwarder between a browser and an edge (HTTP and the signaling WebSocket go through it; WebRTC media
 * does not), so a test can cut the browser's connections the way a network does: {@link #dropClientSide()} resets
 * the browser's side only and leaves the edge's side open, as a NAT rebinding or a Wi-Fi switch does.
 */
final class DroppingTcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket[]> pairs = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    DroppingTcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                } catch (IOException e) {
                    reset(client); // the edge is down: the browser sees a refused connection
                    continue;
                }
                Socket[] pair = {client, upstream};
                pairs.add(pair);
                pump(client, upstream, pair);
                pump(upstream, client, pair);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, Socket[] pair) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try { // no try-with-resources: closing a socket's stream closes the socket, and a dropped pair stays half open
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                // one side is gone; the other is left as it is
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Resets every browser-side connection; the edge-side sockets stay open and silent. */
    void dropClientSide() {
        for (Socket[] p : pairs) {
            reset(p[0]);
        }
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0); // RST, like a vanished network path
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket[] p : pairs) {
            reset(p[0]);
            reset(p[1]);
        }
    }
}
