package io.stripecast.controller.control;

import io.stripecast.controller.forest.PlannerConfig;
import io.stripecast.controller.forest.UplinkBudget;
import io.stripecast.controller.registry.RelaySession;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * One uplink, many streams, on the controller's side: builds the {@link UplinkBudget} every stream is planned with
 * from the connected relays (advertised uplink, reported playback egress) and the streams' current forests, and
 * publishes planned against measured egress. Its own class rather than more of {@link Coordinator}
 * (CONVENTIONS.md); used on the coordinator's thread only.
 */
final class UplinkLedger {

    private final PlannerConfig config;
    private final ControllerMetrics metrics;

    private final boolean budgetPlayback;

    UplinkLedger(PlannerConfig config, ControllerMetrics metrics, boolean budgetPlayback) {
        this.config = config;
        this.metrics = metrics;
        this.budgetPlayback = budgetPlayback;
    }

    /**
     * The budget as things stand: every stream's forest and shard rate, every relay's uplink, and its viewers when
     * {@code stripecast.controller.budget-playback-egress} is on.
     */
    UplinkBudget budget(Collection<RelaySession> sessions, Collection<UplinkBudget.StreamLoad> loads) {
        Map<String, Double> uplinks = new HashMap<>();
        Map<String, Double> playback = new HashMap<>();
        for (RelaySession r : sessions) {
            uplinks.put(r.id(), r.uplinkMbps());
            if (budgetPlayback && r.playbackEgressMbps() > 0) {
                playback.put(r.id(), r.playbackEgressMbps());
            }
        }
        return UplinkBudget.of(uplinks, playback, loads, config);
    }

    /**
     * Sets the egress gauges: the largest and the summed planned (shards to children over every stream, plus
     * measured playback) and measured egress, and how many relays are above {@code uplink x utilisation} either way.
     * Per-relay figures are in the topology API ({@code GET /api/v1/relays}); a relay label here would make a series
     * per relay (CONVENTIONS.md: low-cardinality labels).
     */
    void publish(UplinkBudget budget, Collection<RelaySession> sessions) {
        double plannedMax = 0;
        double plannedSum = 0;
        double measuredMax = 0;
        double measuredSum = 0;
        int plannedOver = 0;
        int measuredOver = 0;
        for (RelaySession r : sessions) {
            double planned = planned(budget, r.id());
            double measured = r.egressMbps();
            double limit = budget.limitMbps(r.id());
            plannedMax = Math.max(plannedMax, planned);
            plannedSum += planned;
            measuredMax = Math.max(measuredMax, measured);
            measuredSum += measured;
            if (budget.overLimit(r.id())) {
                plannedOver++;
            }
            if (measured > limit) {
                measuredOver++;
            }
        }
        metrics.egress(plannedMax, plannedSum, measuredMax, measuredSum, plannedOver, measuredOver);
    }

    /** What the controller plans the relay to send: shards to children in every stream plus its measured playback. */
    static double planned(UplinkBudget budget, String relay) {
        return budget.plannedMbps(relay) + budget.playbackMbps(relay);
    }
}
