package dev.sluice.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The results: one row per measure, with every round's value for the raw client and for Sluice. The
 * table shows medians over the rounds; a throughput ratio is the median of the per-round ratios
 * (each round runs raw and Sluice back to back, so a ratio is not skewed by the machine getting
 * busier or quieter between rounds).
 */
final class Table {
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  /** What a row is held to. */
  static final class Target {
    final String text;
    private final double value;
    private final int kind;

    private Target(String text, double value, int kind) {
      this.text = text;
      this.value = value;
      this.kind = kind;
    }

    static final Target NONE = new Target("", 0, 0);

    /** Sluice / raw at least this. */
    static Target ratioAtLeast(double ratio) {
      return new Target(String.format(Locale.ROOT, "≥ %.2f× raw", ratio), ratio, 1);
    }

    /** Sluice / raw at least this, described as {@code text} (e.g. "≥ 1.00× Kafka Streams"). */
    static Target ratioAtLeast(double ratio, String text) {
      return new Target(text, ratio, 1);
    }

    /** Sluice's latency at most raw's, described as {@code text}. */
    static Target atMostRaw(String text) {
      return new Target(text, 0, 3);
    }

    /** Sluice's value at least this. */
    static Target atLeast(double value, String unit) {
      return new Target("≥ " + count(value) + " " + unit, value, 2);
    }

    /** Sluice's latency at most raw's plus this many milliseconds. */
    static Target rawPlusMillis(double millis) {
      return new Target(String.format(Locale.ROOT, "≤ raw + %.0f ms", millis), millis, 3);
    }
  }

  /** One measure. Values are per second for throughput, milliseconds for latency. */
  static final class Row {
    final String backend;
    final String measure;
    final boolean lowerIsBetter;
    boolean cpu;
    boolean showRatio;
    final List<Double> raw = new ArrayList<>();
    final List<Double> sluice = new ArrayList<>();
    Target target = Target.NONE;
    boolean ratioOnly;
    boolean hasRaw = true;
    @Nullable String pending;

    Row(String backend, String measure, boolean lowerIsBetter) {
      this.backend = backend;
      this.measure = measure;
      this.lowerIsBetter = lowerIsBetter;
    }

    Row target(Target t) {
      this.target = t;
      return this;
    }

    /** A latency row whose comparison shows Sluice / raw (medians) beside the difference. */
    Row withRatio() {
      this.showRatio = true;
      return this;
    }

    /** Only the ratio is shown (the Kinesis emulator's absolute speed says nothing about AWS). */
    Row ratioOnly() {
      this.ratioOnly = true;
      return this;
    }

    /** Sluice alone (memory): no raw client to compare with. */
    Row sluiceOnly() {
      this.hasRaw = false;
      return this;
    }

    /** The Sluice side could not run; says why. */
    Row pending(String why) {
      this.pending = why;
      return this;
    }

    @Nullable Double rawMedian() {
      return median(raw);
    }

    @Nullable Double sluiceMedian() {
      return median(sluice);
    }

    /** Median of per-round Sluice / raw, or null. */
    @Nullable Double ratio() {
      int n = Math.min(raw.size(), sluice.size());
      if (n == 0) {
        return null;
      }
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ratios.add(sluice.get(i) / raw.get(i));
      }
      return median(ratios);
    }

    /** True / false if the target was met or missed; null without a target or values. */
    @Nullable Boolean met() {
      Double s = sluiceMedian();
      if (target.kind == 0 || s == null) {
        return null;
      }
      switch (target.kind) {
        case 1:
          Double r = ratio();
          return r == null ? null : r >= target.value;
        case 2:
          return s >= target.value;
        default:
          Double raw = rawMedian();
          return raw == null ? null : s <= raw + target.value;
      }
    }
  }

  Row row(String backend, String measure) {
    Row r = new Row(backend, measure, false);
    rows.add(r);
    return r;
  }

  Row latencyRow(String backend, String measure) {
    Row r = new Row(backend, measure, true);
    rows.add(r);
    return r;
  }

  /** Microseconds of the benchmark JVM's CPU time per record: lower is better, shown as a ratio. */
  Row cpuRow(String backend, String measure) {
    Row r = latencyRow(backend, measure);
    r.cpu = true;
    return r;
  }

  void note(String note) {
    notes.add(note);
  }

  List<Row> rows() {
    return Collections.unmodifiableList(rows);
  }

  /** Rows whose target was missed. */
  List<Row> missed() {
    List<Row> out = new ArrayList<>();
    for (Row r : rows) {
      if (Boolean.FALSE.equals(r.met())) {
        out.add(r);
      }
    }
    return out;
  }

  String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| Backend | Measure | Raw client | Sluice | Sluice vs raw | Target | Met |\n");
    sb.append("|---|---|---:|---:|---:|---|---|\n");
    for (Row r : rows) {
      Double raw = r.rawMedian();
      Double sluice = r.sluiceMedian();
      String rawText = !r.hasRaw ? "—" : r.ratioOnly && raw != null ? "(emulator)" : show(r, raw);
      String sluiceText =
          r.pending != null && sluice == null
              ? "pending"
              : r.ratioOnly && sluice != null ? "(emulator)" : show(r, sluice);
      String vs = "";
      if (r.hasRaw && raw != null && sluice != null) {
        vs =
            r.cpu
                // Median Sluice over median raw: the per-round CPU figures pair less tightly.
                ? String.format(Locale.ROOT, "%.2f×", sluice / raw)
                : r.lowerIsBetter && r.showRatio
                    ? String.format(Locale.ROOT, "%.2f× (%+.2f ms)", sluice / raw, sluice - raw)
                    : r.lowerIsBetter
                        ? String.format(Locale.ROOT, "%+.2f ms", sluice - raw)
                        : String.format(Locale.ROOT, "%.3f×", r.ratio());
      }
      Boolean met = r.met();
      String metText =
          met == null ? (r.pending != null ? "pending: " + r.pending : "") : met ? "yes" : "**no**";
      sb.append("| ")
          .append(r.backend)
          .append(" | ")
          .append(r.measure)
          .append(" | ")
          .append(rawText)
          .append(" | ")
          .append(sluiceText)
          .append(" | ")
          .append(vs)
          .append(" | ")
          .append(r.target.text)
          .append(" | ")
          .append(metText)
          .append(" |\n");
    }
    if (!notes.isEmpty()) {
      sb.append('\n');
      for (String n : notes) {
        sb.append("- ").append(n).append('\n');
      }
    }
    return sb.toString();
  }

  private static String show(Row r, @Nullable Double v) {
    if (v == null) {
      return "—";
    }
    if (r.cpu) {
      return String.format(Locale.ROOT, "%.2f µs", v);
    }
    if (r.lowerIsBetter) {
      return String.format(Locale.ROOT, "%.2f ms", v);
    }
    if (r.measure.contains("MB/s")) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return count(v);
  }

  /** 1234567 as "1,234,567". */
  static String count(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  static @Nullable Double median(List<Double> values) {
    if (values.isEmpty()) {
      return null;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
