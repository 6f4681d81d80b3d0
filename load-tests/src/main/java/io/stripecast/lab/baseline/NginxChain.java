package io.stripecast.lab.baseline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline tier as people build it from stock nginx: an origin that takes ffmpeg's WebDAV PUTs,
 * a shield and an edge, each a {@code proxy_cache} with {@code proxy_cache_lock on}; playlists
 * cached 1 s, segments 10 min. Not tuned for or against stripecast.
 */
public final class NginxChain implements AutoCloseable {
    public final int originPort;
    public final int shieldPort;
    public final int edgePort;
    private final Path dir;
    private final Process process;

    private NginxChain(Path dir, int originPort, int shieldPort, int edgePort, Process process) {
        this.dir = dir;
        this.originPort = originPort;
        this.shieldPort = shieldPort;
        this.edgePort = edgePort;
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

    public static NginxChain start(Path relativeDir, int originPort, int shieldPort, int edgePort) throws IOException {
        Path dir = relativeDir.toAbsolutePath(); // nginx resolves -c and paths against its prefix
        for (String sub : List.of("origin", "logs", "tmp", "cache-shield", "cache-edge")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, originPort, shieldPort, edgePort));
        Process p = new ProcessBuilder("nginx", "-p", dir.toString(), "-c", conf.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs").resolve("stdout.log").toFile()).start();
        return new NginxChain(dir, originPort, shieldPort, edgePort, p);
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

    private static String config(Path dir, int origin, int shield, int edge) {
        return """
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
                  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
                  proxy_cache_path %1$s/cache-shield keys_zone=shield:10m;
                  proxy_cache_path %1$s/cache-edge keys_zone=edge:10m;
                  server {
                    listen 127.0.0.1:%2$d;
                    root %1$s/origin;
                    client_max_body_size 64m;
                    location / { dav_methods PUT DELETE; create_full_put_path on; }
                  }
                  server {
                    listen 127.0.0.1:%3$d;
                    location ~ \\.m3u8$ { proxy_pass http://127.0.0.1:%2$d; proxy_cache shield; proxy_cache_valid 200 1s; proxy_cache_lock on; }
                    location / { proxy_pass http://127.0.0.1:%2$d; proxy_cache shield; proxy_cache_valid 200 10m; proxy_cache_lock on; }
                  }
                  server {
                    listen 127.0.0.1:%4$d;
                    location ~ \\.m3u8$ { proxy_pass http://127.0.0.1:%3$d; proxy_cache edge; proxy_cache_valid 200 1s; proxy_cache_lock on; }
                    location / { proxy_pass http://127.0.0.1:%3$d; proxy_cache edge; proxy_cache_valid 200 10m; proxy_cache_lock on; }
                  }
                }
                """.formatted(dir.toAbsolutePath(), origin, shield, edge);
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
