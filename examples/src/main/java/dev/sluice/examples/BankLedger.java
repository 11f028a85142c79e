package dev.sluice.examples;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * A bank ledger, the case where per-key order matters: credits and debits keyed by account on a
 * stream with several shards. Each account's teller only issues a debit that the account's balance
 * covers, so applying an account's transactions in the order they were sent never goes negative.
 * The bookkeeper (a consumer group) applies them per account, checks that no balance goes negative
 * and that each account's sequence numbers arrive in order, and compares its final balances with
 * the tellers'.
 *
 * <p>Verdict: {@code ORDERED} or {@code OUT OF ORDER: first offending account X at seq N}, and
 * whether the balance checksums match.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexample=dev.sluice.examples.BankLedger \
 *     -Dexec.args="--accounts 10"
 * </pre>
 */
public final class BankLedger {
  /** A credit (positive amount) or debit (negative amount), the {@code seq}-th of its account. */
  public record Transaction(String account, int seq, long amountCents) {}

  /** What to run. */
  public record Options(
      int accounts, int transactions, int shards, int consumers, CommonOptions common) {}

  /**
   * What happened.
   *
   * @param firstOutOfOrder "account X at seq N" for the first transaction that arrived out of its
   *     account's order, or null
   * @param firstNegative "account X at seq N" for the first balance that went below zero, or null
   * @param sentChecksum the checksum of the tellers' final balances
   * @param appliedChecksum the checksum of the bookkeeper's final balances
   * @param finished true if every transaction was applied before the timeout
   */
  public record Result(
      int transactions,
      int applied,
      long repeats,
      @Nullable String firstOutOfOrder,
      @Nullable String firstNegative,
      String sentChecksum,
      String appliedChecksum,
      boolean finished) {
    public boolean ordered() {
      return firstOutOfOrder == null;
    }

    /** Everything applied, in order, never negative, same balances as sent. */
    public boolean ok() {
      return finished && ordered() && firstNegative == null && sentChecksum.equals(appliedChecksum);
    }

    public String verdict() {
      return ordered() ? "ORDERED" : "OUT OF ORDER: first offending " + firstOutOfOrder;
    }
  }

  static final Cli CLI =
      Cli.program(
              "BankLedger",
              "Sends credits and debits keyed by account and checks they are applied in order.")
          .option("--accounts", "N", "20", "accounts (the record key)")
          .option("--transactions", "N", "2000", "credits and debits to send in all")
          .option("--shards", "N", "4", "shards of the stream")
          .option("--consumers", "N", "2", "consumers in the bookkeeping group")
          .withCommonOptions();

  private BankLedger() {}

  /** Reads the command line; never exits. */
  public static Cli.Parsed<Options> parse(String... args) {
    return CLI.parse(
        args,
        v ->
            new Options(
                v.positiveInt("--accounts"),
                v.positiveInt("--transactions"),
                v.positiveInt("--shards"),
                v.positiveInt("--consumers"),
                v.common()));
  }

  public static void main(String[] args) throws Exception {
    Cli.Parsed<Options> parsed = parse(args);
    if (!parsed.shouldRun()) {
      System.exit(parsed.printUsage(System.out, System.err));
    }
    boolean ok;
    try (Sluice sluice = Sluice.open()) {
      ok = run(sluice, parsed.options(), System.out).ok();
    } catch (RuntimeException e) {
      System.err.println("BankLedger failed: " + Cli.describe(e));
      ok = false;
    }
    System.exit(ok ? 0 : Cli.EXIT_FAILED);
  }

  /** Runs the app on {@code sluice}'s backend, printing progress to {@code out}. */
  public static Result run(Sluice sluice, Options options, PrintStream out)
      throws InterruptedException {
    out.println("Backend: " + sluice.backend());
    Bookkeeper bookkeeper = new Bookkeeper(options.transactions());
    List<Consumer<String, Transaction>> consumers = new ArrayList<>();
    try (ExampleStreams streams = ExampleStreams.forApp(sluice, "ledger", options.common(), out)) {
      String stream = streams.create(StreamSpec.withShards(options.shards()));
      try {
        String group = "bookkeeping-" + streams.runId();
        for (int i = 0; i < options.consumers(); i++) {
          Consumer<String, Transaction> consumer =
              sluice
                  .consumer(stream, Serde.string(), Serde.json(Transaction.class))
                  .group(group)
                  .startPosition(StartPosition.earliest())
                  .start(bookkeeper::apply);
          consumer.termination().whenComplete((done, error) -> bookkeeper.failIf(error));
          consumers.add(consumer);
        }

        Map<String, Long> sentBalances = sendTransactions(sluice, stream, options, out);
        boolean finished = bookkeeper.await(options.common().timeout());
        Result result = bookkeeper.result(checksum(sentBalances), finished);
        out.printf(
            "Sent %d transactions over %d accounts; applied %d (repeats ignored %d)%n",
            result.transactions(), options.accounts(), result.applied(), result.repeats());
        out.println("Tellers' balances checksum:     " + result.sentChecksum());
        out.println("Bookkeeper's balances checksum: " + result.appliedChecksum());
        if (result.firstNegative() != null) {
          out.println("NEGATIVE BALANCE: " + result.firstNegative());
        }
        for (Consumer<String, Transaction> consumer : consumers) {
          consumer
              .termination()
              .whenComplete(
                  (done, error) -> {
                    if (error != null) {
                      out.println("A consumer stopped: " + error);
                    }
                  });
        }
        if (!finished) {
          out.println("Timed out after " + options.common().timeout().toSeconds() + " s");
        }
        out.println(result.verdict());
        out.println(
            result.sentChecksum().equals(result.appliedChecksum())
                ? "BALANCES MATCH"
                : "BALANCES DIFFER");
        return result;
      } finally {
        consumers.forEach(Consumer::close);
      }
    }
  }

  /**
   * The tellers: random credits, and debits no larger than the account's balance, sent without
   * waiting for each other (so the backend batches and pipelines them). Returns the balances.
   */
  private static Map<String, Long> sendTransactions(
      Sluice sluice, String stream, Options options, PrintStream out) {
    Random random = new Random();
    Map<String, Long> balances = new TreeMap<>();
    Map<String, Integer> lastSeq = new HashMap<>();
    List<CompletableFuture<SendResult>> sends = new ArrayList<>(options.transactions());
    long started = System.nanoTime();
    try (Producer<String, Transaction> producer =
        sluice.producer(stream, Serde.string(), Serde.json(Transaction.class))) {
      for (int i = 0; i < options.transactions(); i++) {
        String account = String.format("acct-%04d", random.nextInt(options.accounts()));
        long balance = balances.getOrDefault(account, 0L);
        long amount =
            balance > 0 && random.nextBoolean()
                ? -(1 + (long) (random.nextDouble() * balance)) // a debit the balance covers
                : 1 + random.nextInt(100_00); // a credit of up to 100.00
        int seq = lastSeq.merge(account, 1, Integer::sum);
        balances.put(account, balance + amount);
        sends.add(producer.send(account, new Transaction(account, seq, amount)));
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
    out.printf(
        "Sent %d transactions in %d ms%n",
        options.transactions(), (System.nanoTime() - started) / 1_000_000);
    return balances;
  }

  /** A checksum of balances: CRC-32 over "account=cents" lines in account order. */
  static String checksum(Map<String, Long> balances) {
    CRC32 crc = new CRC32();
    long total = 0;
    for (Map.Entry<String, Long> e : new TreeMap<>(balances).entrySet()) {
      crc.update((e.getKey() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
      total += e.getValue();
    }
    return String.format(
        "%08x (%d accounts, total %d.%02d)",
        crc.getValue(), balances.size(), total / 100, total % 100);
  }

  /** The consumer group's state: each account's balance and which of its transactions arrived. */
  private static final class Bookkeeper {
    private final int expected;
    private final Map<String, Account> accounts = new HashMap<>();
    private final Tally applied = new Tally();
    private long repeats;
    private @Nullable String firstOutOfOrder;
    private @Nullable String firstNegative;

    private static final class Account {
      long balance;
      int lastSeq;
      final BitSet seen = new BitSet();
    }

    Bookkeeper(int expected) {
      this.expected = expected;
    }

    /**
     * The record handler. One lock for all accounts keeps it simple; records of one account come
     * from one shard, so they are handed over one at a time anyway.
     */
    synchronized void apply(Record<String, Transaction> record) {
      Transaction t = record.value();
      Account account = accounts.computeIfAbsent(t.account(), a -> new Account());
      if (account.seen.get(t.seq())) {
        repeats++; // at-least-once delivery: already applied
        return;
      }
      account.seen.set(t.seq());
      if (t.seq() != account.lastSeq + 1 && firstOutOfOrder == null) {
        firstOutOfOrder = "account " + t.account() + " at seq " + t.seq();
      }
      account.lastSeq = Math.max(account.lastSeq, t.seq());
      account.balance += t.amountCents();
      if (account.balance < 0 && firstNegative == null) {
        firstNegative = "account " + t.account() + " at seq " + t.seq();
      }
      applied.add(1);
    }

    void failIf(@Nullable Throwable error) {
      applied.failIf(error);
    }

    /** Waits until every transaction is applied; false on timeout or a failed consumer. */
    boolean await(Duration timeout) throws InterruptedException {
      return applied.awaitAtLeast(expected, Tally.Deadline.after(timeout));
    }

    synchronized Result result(String sentChecksum, boolean finished) {
      Map<String, Long> balances = new TreeMap<>();
      accounts.forEach((name, account) -> balances.put(name, account.balance));
      return new Result(
          expected,
          (int) applied.get(),
          repeats,
          firstOutOfOrder,
          firstNegative,
          sentChecksum,
          checksum(balances),
          finished);
    }
  }
}
