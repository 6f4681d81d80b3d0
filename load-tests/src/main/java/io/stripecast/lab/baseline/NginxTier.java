package io.stripecast.lab.baseline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One tier of the baseline as its own nginx process (one worker), so its CPU can be read apart and the process
 * pinned to a core: an origin taking WebDAV PUTs, or a {@code proxy_cache} of an upstream configured exactly as
 * a tier of {@link NginxChain} (playlists cached 1 s, segments 10 min, {@code proxy_cache_lock on}). The hop
 * benchmark runs a shield and its two child caches this way; {@link NginxChain} keeps every tier in one process.
 */
public final class NginxTier implements AutoCloseable {
    public final int port;
    private final Process process;

    private NginxTier(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    /** An origin: WebDAV PUT/DELETE into {@code dir/origin}, files served from there. */
    public static NginxTier origin(Path dir, int port, List<String> commandPrefix) throws IOException {
        String server = """
                  server {
                    listen 127.0.0.1:%2$d;
                    root %1$s/origin;
                    client_max_body_size 64m;
                    location / { dav_methods PUT DELETE; create_full_put_path on; }
                  }
                """;
        return start(dir, port, "", server, commandPrefix);
    }

    /** A proxy cache of {@code upstreamPort}, as a tier of {@link NginxChain}. */
    public static NginxTier cache(Path dir, int port, int upstreamPort, List<String> commandPrefix) throws IOException {
        String zone = "  proxy_cache_path %1$s/cache keys_zone=tier:10m inactive=" + NginxChain.CACHE_INACTIVE + ";\n";
        String server = """
                  server {
                    listen 127.0.0.1:%2$d;
                    location ~ \\.m3u8$ { proxy_pass http://127.0.0.1:%3$d; proxy_cache tier; proxy_cache_valid 200 1s; proxy_cache_lock on; }
                    location / { proxy_pass http://127.0.0.1:%3$d; proxy_cache tier; proxy_cache_valid 200 10m; proxy_cache_lock on; }
                  }
                """;
        return start(dir, port, zone, server.replace("%3$d", Integer.toString(upstreamPort)), commandPrefix);
    }

    private static NginxTier start(Path relativeDir, int port, String zones, String server, List<String> commandPrefix)
            throws IOException {
        Path dir = relativeDir.toAbsolutePath();
        for (String sub : List.of("origin", "logs", "tmp", "cache")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, (NginxChain.CONF_HEAD + zones + server).formatted(dir, port) + "}\n");
        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.addAll(List.of("nginx", "-p", dir.toString(), "-c", conf.toString(), "-g", "daemon off;"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("logs").resolve("stdout.log").toFile()).start();
        return new NginxTier(port, p);
    }

    /** The master's pid (its worker is a child). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
