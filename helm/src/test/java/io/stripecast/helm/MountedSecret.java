package io.stripecast.helm;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the kubelet does for a Secret volume, for local processes standing in for pods: one key of a Secret kept in
 * a file, replaced atomically when the Secret changes (the kubelet swaps a symlink; a rename is as atomic).
 */
final class MountedSecret implements AutoCloseable {
    private final ScheduledExecutorService sync = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mounted-secret");
        t.setDaemon(true);
        return t;
    });
    final Path file;

    private MountedSecret(Path file) {
        this.file = file;
    }

    /** {@code key} of Secret {@code name} in {@code file}: written now, then followed every {@code every}. */
    static MountedSecret mount(KubernetesClient admin, String namespace, String name, String key, Path file, java.time.Duration every) {
        MountedSecret m = new MountedSecret(file);
        m.copy(admin.secrets().inNamespace(namespace).withName(name).get(), key);
        m.sync.scheduleWithFixedDelay(() -> {
            try {
                m.copy(admin.secrets().inNamespace(namespace).withName(name).get(), key);
            } catch (RuntimeException e) {
                // the API server blinked: the kubelet, too, keeps the last copy and tries again
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return m;
    }

    private void copy(Secret s, String key) {
        if (s == null || s.getData() == null || !s.getData().containsKey(key)) {
            return;
        }
        byte[] bytes = Base64.getDecoder().decode(s.getData().get(key));
        try {
            if (Files.exists(file) && Arrays.equals(Files.readAllBytes(file), bytes)) {
                return;
            }
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        sync.shutdownNow();
    }
}
