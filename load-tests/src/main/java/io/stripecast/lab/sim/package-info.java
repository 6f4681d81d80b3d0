/**
 * A discrete-event simulation of five live-streaming overlays at 10,000-100,000 nodes, with the real forest
 * planner ({@code io.stripecast.controller.forest}) building and repairing the trees. The model, its
 * assumptions and measured figures are in {@code load-tests/SIMULATION.md}; {@link io.stripecast.lab.sim.Simulate}
 * is the command line.
 *
 * <ul>
 *   <li>Who and when: {@code Population} (uplinks, zones), {@code Latency} (per pair), {@code ChurnSchedule}
 *       (deaths and joins drawn before the run, the same for every overlay), {@code World} (the three together).</li>
 *   <li>Trees: {@code ForestController} drives the planner in simulated time and turns its moves into the
 *       time-stamped edges of {@code EdgeLog}; {@code TreeDataPlane} pushes one segment at a time over them
 *       with a {@code BucketQueue}; {@code TreeRun} puts the two together.</li>
 *   <li>Mesh: {@code MeshDataPlane} (CoolStreaming-style rounds), {@code MeshRun}; the hybrid's leaves use it
 *       with {@code CoreEdges} (their edge relays), {@code HybridRun}.</li>
 *   <li>Figures: {@code Recorder}, {@code Histogram}, {@code Results} into {@code OverlayResult};
 *       {@code Simulation} runs a sweep on a few threads; {@code SimReport} writes JSON, Markdown and SVG.</li>
 * </ul>
 */
package io.stripecast.lab.sim;
