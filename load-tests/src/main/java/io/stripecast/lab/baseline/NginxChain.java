package io.stripecast.lab.baseline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline tier as people build it from stock nginx: an origin that takes ffmpeg's WebDAV PUTs and a
 * chain of proxy tiers below it (two: shield and edge; more to match a deeper forest), each a
 * {@code proxy_cache} of the tier above with {@code proxy_cache_lock on}; playlists cached 1 s, segments
 * 10 min. Not tuned for or against stripecast. One nginx process serves every tier on its own port.
 */
public final class NginxChain implements AutoCloseable {
    /**
     * The start of every nginx.conf the lab writes (one worker, its files under the directory given as %1$s, HLS
     * types), open inside {@code http}: the caller adds its zones and servers and the closing brace.
     */
    /**
     * A cached file not asked for this long is let go by nginx's cache manager, as a live cache is configured: the
     * default (10 minutes) kept every segment of a 300 Mbit/s run on disk, gigabytes a minute per tier.
     */
    static final String CACHE_INACTIVE = "60s";
    static final String CONF_HEAD = """
            worker_processes 1;
            user root;
            error_log %1$s/logs/error.log warn;
            pid %1$s/logs/nginx.pid;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path %1$s/tmp/body;
              proxy_temp_path %1$s/tmp/proxy;
              fastcgi_temp_path %1$s/tmp/fastcgi;
              uwsgi_temp_path %1$s/tmp/uwsgi;
              scgi_temp_path %1$s/tmp/scgi;
              types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; video/mp4 m4s mp4; text/html html; text/javascript mjs; }
            """;

    public final int originPort;
    /** Tier 1 (below the origin) first; the last is the edge. */
    public final List<Integer> tierPorts;
    public final int edgePort;
    private final Path dir;
    private final Process process;

    private NginxChain(Path dir, int originPort, List<Integer> tierPorts, Process process) {
        this.dir = dir;
        this.originPort = originPort;
        this.tierPorts = List.copyOf(tierPorts);
        this.edgePort = tierPorts.get(tierPorts.size() - 1);
        this.process = process;
    }

    public static boolean available() {
        try {
            return new ProcessBuilder("nginx", "-v").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** origin -> shield -> edge. */
    public static NginxChain start(Path relativeDir, int originPort, int shieldPort, int edgePort) throws IOException {
        return start(relativeDir, originPort, List.of(shieldPort, edgePort));
    }

    /** origin -> tier 1 -> ... -> tier n (the edge), one port each. */
    public static NginxChain start(Path relativeDir, int originPort, List<Integer> tierPorts) throws IOException {
        if (tierPorts.isEmpty()) {
            throw new IllegalArgumentException("at least one proxy tier");
        }
        Path dir = relativeDir.toAbsolutePath(); // nginx resolves -c and paths against its prefix
        for (String sub : List.of("origin", "logs", "tmp")) {
            Files.createDirectories(dir.resolve(sub));
        }
        for (int i = 1; i <= tierPorts.size(); i++) {
            Files.createDirectories(dir.resolve("cache-tier" + i));
        }
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, originPort, tierPorts));
        Process p = new ProcessBuilder("nginx", "-p", dir.toString(), "-c", conf.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs").resolve("stdout.log").toFile()).start();
        return new NginxChain(dir, originPort, tierPorts, p);
    }

    public Path originRoot() {
        return dir.resolve("origin");
    }

    /** CPU of the nginx master and its workers, seconds. */
    public double cpuSeconds() {
        double own = process.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
        return own + process.toHandle().descendants()
                .mapToDouble(h -> h.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0)).sum();
    }

    static String config(Path dir, int origin, List<Integer> tiers) {
        StringBuilder zones = new StringBuilder();
        StringBuilder servers = new StringBuilder();
        int upstream = origin;
        for (int i = 1; i <= tiers.size(); i++) {
            zones.append("  proxy_cache_path %1$s/cache-tier").append(i).append(" keys_zone=tier").append(i).append(":10m inactive=")
                    .append(CACHE_INACTIVE).append(";\n");
            servers.append("""
                      server {
                        listen 127.0.0.1:%d;
                        location ~ \\.m3u8$ { proxy_pass http://127.0.0.1:%d; proxy_cache tier%d; proxy_cache_valid 200 1s; proxy_cache_lock on; }
                        location / { proxy_pass http://127.0.0.1:%d; proxy_cache tier%d; proxy_cache_valid 200 10m; proxy_cache_lock on; }
                      }
                    """.formatted(tiers.get(i - 1), upstream, i, upstream, i));
            upstream = tiers.get(i - 1);
        }
        String origins = """
                  server {
                    listen 127.0.0.1:%2$d;
                    root %1$s/origin;
                    client_max_body_size 64m;
                    location / { dav_methods PUT DELETE; create_full_put_path on; }
                  }
                """;
        return (CONF_HEAD + zones + origins).formatted(dir.toAbsolutePath(), origin) + servers + "}\n";
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
