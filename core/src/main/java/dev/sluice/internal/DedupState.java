package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.spi.StoredWriteId;
import dev.sluice.spi.WriteId;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a deduplicating consumer knows of one shard's writers: per writer, the highest id seen (its
 * watermark) and the holes below it, the ranges where a record not yet seen may still arrive
 * (records of one writer stored out of order, e.g. a send retried after a later one of another
 * key). A record at or below the watermark and in no hole is a second copy.
 *
 * <p>A record's link to its writer's previous id ({@link StoredWriteId#previous()}) decides the
 * holes: a record whose previous id is the watermark leaves none; any other opens one between the
 * watermark and itself, closed again by the record that fills it. So the state grows with the
 * writers and the disorder, not with the records. Bounds, both safe (they can let a second copy
 * through, never drop a new record): a writer with more than {@link #MAX_HOLES} holes is forgotten,
 * and beyond {@link #MAX_WRITERS} writers the one that wrote least recently is.
 *
 * <p>Not thread-safe. {@link #accept} is deterministic, so two states fed the same accepted ids in
 * the same order are equal; the consumer keeps one for its decisions and one that it advances to
 * each checkpoint it stores.
 */
final class DedupState {
  static final int MAX_HOLES = 64;
  static final int MAX_WRITERS = 1000;
  private static final byte FORMAT = 1;

  private static final class Hole {
    final @Nullable WriteId low; // null: below every id
    final WriteId high;
    final @Nullable WriteId highPrevious; // high's link, null if unknown

    Hole(@Nullable WriteId low, WriteId high, @Nullable WriteId highPrevious) {
      this.low = low;
      this.high = high;
      this.highPrevious = highPrevious;
    }

    boolean holds(WriteId id) {
      return (low == null || low.compareTo(id) < 0) && id.compareTo(high) < 0;
    }
  }

  private static final class Writer {
    WriteId mark;
    final List<Hole> holes = new ArrayList<>(0);

    Writer(WriteId mark) {
      this.mark = mark;
    }
  }

  // Insertion order is the order of the writers' latest accepted records: the eldest goes first.
  private final LinkedHashMap<String, Writer> writers = new LinkedHashMap<>();

  /**
   * Takes a record's id: true if it is new (and now seen), false if it is a second copy.
   *
   * <p>A record whose id cannot be compared with its writer's (a writer whose positions changed
   * kind, which Sluice never writes) counts as new.
   */
  boolean accept(StoredWriteId stored) {
    WriteId id = stored.id();
    WriteId previous = stored.previous();
    Writer w = writers.get(id.writer());
    if (w == null) {
      w = new Writer(id);
      if (previous != null) {
        // Its writer wrote before it here: those may still arrive (or did before our time).
        w.holes.add(new Hole(null, id, previous));
      }
      put(id.writer(), w);
      return true;
    }
    int c;
    try {
      c = id.compareTo(w.mark);
    } catch (IllegalArgumentException e) {
      return true;
    }
    if (c > 0) {
      if (!Objects.equals(previous, w.mark)) {
        addHole(id.writer(), w, new Hole(w.mark, id, previous));
      }
      w.mark = id;
      touch(id.writer(), w);
      return true;
    }
    if (c == 0) {
      return false;
    }
    for (Iterator<Hole> it = w.holes.iterator(); it.hasNext(); ) {
      Hole h = it.next();
      if (!h.holds(id)) {
        continue;
      }
      it.remove();
      List<Hole> split = new ArrayList<>(2);
      if (previous == null || h.low == null || !previous.equals(h.low)) {
        split.add(new Hole(h.low, id, previous));
      }
      if (h.highPrevious == null || !h.highPrevious.equals(id)) {
        split.add(new Hole(id, h.high, h.highPrevious));
      }
      for (Hole s : split) {
        addHole(id.writer(), w, s);
      }
      touch(id.writer(), w);
      return true;
    }
    return false;
  }

  /** The number of writers known (for tests and logs). */
  int writers() {
    return writers.size();
  }

  private void addHole(String name, Writer w, Hole h) {
    if (!writers.containsKey(name)) {
      return; // forgotten while splitting
    }
    if (w.holes.size() >= MAX_HOLES) {
      writers.remove(name);
      return;
    }
    w.holes.add(h);
  }

  private void touch(String name, Writer w) {
    if (writers.containsKey(name)) {
      writers.remove(name);
      writers.put(name, w);
    }
  }

  private void put(String name, Writer w) {
    writers.put(name, w);
    while (writers.size() > MAX_WRITERS) {
      Iterator<Map.Entry<String, Writer>> eldest = writers.entrySet().iterator();
      eldest.next();
      eldest.remove();
    }
  }

  // ------------------------------------------------------------------ bytes

  /**
   * This state as bytes, with the checkpoint it belongs to. Layout (Java {@code DataOutput}):
   * format byte 1; the checkpoint's text; writer count; per writer its name, its watermark id and
   * its holes (count, then low present flag, low id, high id, link present flag, link id); an id is
   * its position's text and its index.
   */
  byte[] encode(Position checkpoint) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 48 * writers.size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(checkpoint.toString());
      out.writeInt(writers.size());
      for (Map.Entry<String, Writer> e : writers.entrySet()) {
        out.writeUTF(e.getKey());
        writeId(out, e.getValue().mark);
        out.writeShort(e.getValue().holes.size());
        for (Hole h : e.getValue().holes) {
          out.writeBoolean(h.low != null);
          if (h.low != null) {
            writeId(out, h.low);
          }
          writeId(out, h.high);
          out.writeBoolean(h.highPrevious != null);
          if (h.highPrevious != null) {
            writeId(out, h.highPrevious);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A state and its checkpoint read back from {@link #encode}; null if the bytes are not one. */
  static @Nullable Restored decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      if (in.readByte() != FORMAT) {
        return null;
      }
      Position checkpoint = Position.parse(in.readUTF());
      DedupState state = new DedupState();
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        String name = in.readUTF();
        Writer w = new Writer(readId(in, name));
        int holes = in.readShort();
        for (int j = 0; j < holes; j++) {
          WriteId low = in.readBoolean() ? readId(in, name) : null;
          WriteId high = readId(in, name);
          WriteId link = in.readBoolean() ? readId(in, name) : null;
          w.holes.add(new Hole(low, high, link));
        }
        state.writers.put(name, w);
      }
      return new Restored(checkpoint, state);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A state read back, and the checkpoint it was stored with. */
  record Restored(Position checkpoint, DedupState state) {}

  private static void writeId(DataOutputStream out, WriteId id) throws IOException {
    out.writeUTF(id.position().toString());
    out.writeInt(id.index());
  }

  private static WriteId readId(DataInputStream in, String writer) throws IOException {
    Position p = Position.parse(in.readUTF());
    return new WriteId(writer, p, in.readInt());
  }

  /** A deep copy. */
  DedupState copy() {
    DedupState c = new DedupState();
    writers.forEach(
        (name, w) -> {
          Writer x = new Writer(w.mark);
          x.holes.addAll(w.holes);
          c.writers.put(name, x);
        });
    return c;
  }
}
