package io.stripecast.lab.sim;

/** Overlay 4: the CoolStreaming-style mesh over every node, the source one of them. */
final class MeshRun {

    static OverlayResult run(SimConfig c, World w) {
        long t0 = System.nanoTime();
        Recorder rec = new Recorder(c, w.churn().total);
        new MeshDataPlane(c, w.peers(), w.churn(), w.latency(), rec, null, Seeds.random(c.seed(), "mesh"))
                .run(s -> { });
        return Results.of(Overlay.MESH, c, 1, 0, rec, null, w.churn().deathCount(), w.churn().joinCount(), t0);
    }
}
