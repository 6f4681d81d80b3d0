package io.stripecast.relay.topology;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** No topology file and no controller: this relay is the ingest (root) of every configured stream. */
public final class StandaloneTopology implements AssignmentSource {
    private final List<String> streams;

    public StandaloneTopology(List<String> streams) {
        this.streams = List.copyOf(streams);
    }

    @Override
    public void start(Consumer<Map<String, StreamAssignment>> listener) {
        Map<String, StreamAssignment> all = new TreeMap<>();
        for (String s : streams) {
            all.put(s, new StreamAssignment(s, true, List.of()));
        }
        listener.accept(all);
    }

    @Override
    public boolean mayServe(String stream, int stripe, String childId) {
        return true;
    }
}
