package io.stripecast.controller.forest;

/**
 * One assignment change the caller must send: in {@code stripe}, {@code child} now subscribes to
 * {@code newParent} (from the first sequence it lacks, so nothing is skipped).
 *
 * @param oldParent {@code null} when the child is new in that tree
 * @param newParent {@code null} when the child leaves that tree (death, leave, stream stop)
 */
public record Move(String stream, int stripe, String child, String oldParent, String newParent) {

    public boolean isRemoval() {
        return newParent == null;
    }

    public boolean isAddition() {
        return oldParent == null;
    }
}
