package io.stripecast.lab.scenario.fault;

/** Steady state: the baseline figures of the forest. */
record NoFault() implements Fault {
    @Override
    public void run(FaultContext ctx) {
    }
}
