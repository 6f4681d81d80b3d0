package io.stripecast.lab.baseline;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NginxChainTest {
    @Test
    void eachTierCachesTheOneAboveWithTheLock() {
        String conf = NginxChain.config(Path.of("/tmp/x"), 1000, List.of(1001, 1002, 1003, 1004));
        assertThat(conf).contains("listen 127.0.0.1:1000;", "dav_methods PUT DELETE;");
        for (int tier = 1; tier <= 4; tier++) {
            int port = 1000 + tier;
            int upstream = port - 1;
            assertThat(conf).contains("listen 127.0.0.1:" + port + ";",
                    "proxy_pass http://127.0.0.1:" + upstream + "; proxy_cache tier" + tier + "; proxy_cache_valid 200 1s; proxy_cache_lock on;",
                    "proxy_pass http://127.0.0.1:" + upstream + "; proxy_cache tier" + tier + "; proxy_cache_valid 200 10m; proxy_cache_lock on;",
                    "proxy_cache_path /tmp/x/cache-tier" + tier + " keys_zone=tier" + tier + ":10m inactive=60s;");
        }
        assertThat(conf).contains("location ~ \\.m3u8$");
        assertThat(conf.chars().filter(c -> c == '{').count()).isEqualTo(conf.chars().filter(c -> c == '}').count());
    }
}
