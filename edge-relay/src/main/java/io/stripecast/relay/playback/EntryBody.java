package io.stripecast.relay.playback;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stripecast.relay.window.HeldBytes;
import io.stripecast.relay.window.WindowEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A response body that is window entries' bytes, wrapped, never copied: a segment, a part, or a segment's parts in
 * order. Their arrays may be the relay's pooled ones, so the response is inside each entry ({@link WindowEntry#enter()})
 * from the moment the body is made until it is written out ({@link #written()}), however slow the viewer: a segment
 * that leaves the window meanwhile keeps its bytes until then.
 */
final class EntryBody {
    private final ByteBuf body;
    private final List<WindowEntry> entered;
    private final AtomicBoolean written = new AtomicBoolean();

    private EntryBody(ByteBuf body, List<WindowEntry> entered) {
        this.body = body;
        this.entered = entered;
    }

    /** The entries' bytes in order, or null when one of them has left its window since it was looked up. */
    static EntryBody of(List<WindowEntry> entries) {
        List<WindowEntry> entered = new ArrayList<>(entries.size());
        for (WindowEntry e : entries) {
            if (!e.enter()) {
                entered.forEach(WindowEntry::exit);
                return null;
            }
            entered.add(e);
        }
        ByteBuf[] parts = new ByteBuf[entered.size()];
        for (int i = 0; i < parts.length; i++) {
            HeldBytes bytes = entered.get(i).segment();
            parts[i] = Unpooled.wrappedBuffer(bytes.array(), 0, bytes.length());
        }
        return new EntryBody(parts.length == 1 ? parts[0] : Unpooled.wrappedBuffer(parts), List.copyOf(entered));
    }

    static EntryBody of(WindowEntry entry) {
        return of(List.of(entry));
    }

    ByteBuf body() {
        return body;
    }

    /** The response is written (or failed, or was never sent): the entries may give their arrays back. Once. */
    void written() {
        if (written.compareAndSet(false, true)) {
            entered.forEach(WindowEntry::exit);
        }
    }
}
