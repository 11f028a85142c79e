package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.Capabilities.Capability;
import dev.sluice.Destination;
import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.Transaction;
import dev.sluice.TransactionalProducer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The transactions area of the conformance kit: what a backend that declares {@link
 * Capability#TRANSACTIONS} must do, through the portable API, and what one that does not must
 * refuse. Consumers read as Sluice's defaults make them: committed records only.
 */
abstract class TransactionTests extends ConformanceArea {
  @Test
  @DisplayName("records of a committed transaction are received, each once")
  void committedIsVisible() {
    requireTransactions();
    Destination<String, String> orders = destination(stream(2));
    TransactionalProducer producer = producer();

    producer.transaction(
        tx -> {
          for (int i = 0; i < 5; i++) {
            tx.send(orders, "k" + i, "v" + i);
          }
        });

    RecordCollector<String, String> got = collect(orders);
    got.awaitCount(5, timeout());
    Await.holdsFor("no more than 5 records", quietPeriod(), () -> got.size() == 5);
    assertThat(got.values()).containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4");
  }

  @Test
  @DisplayName(
      "records of an aborted transaction are never received, and a record committed after them"
          + " is")
  void abortedIsInvisible() {
    requireTransactions();
    Destination<String, String> orders = destination(stream(1));
    TransactionalProducer producer = producer();
    RecordCollector<String, String> got = collect(orders);

    Throwable thrown =
        catchThrowable(
            () ->
                producer.transaction(
                    tx -> {
                      tx.send(orders, "k", "aborted-1");
                      tx.send(orders, "k", "aborted-2");
                      throw new IllegalStateException("changed my mind");
                    }));
    Transaction explicit = producer.begin();
    explicit.send(orders, "k", "aborted-3");
    explicit.abort();
    producer.transaction(tx -> tx.send(orders, "k", "committed"));

    assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessage("changed my mind");
    got.awaitCount(1, timeout());
    Await.holdsFor("only the committed record", quietPeriod(), () -> got.size() == 1);
    assertThat(got.values()).containsExactly("committed");
  }

  @Test
  @DisplayName(
      "a transaction over two streams shows nothing of either before it commits, and all of both"
          + " after")
  void atomicAcrossStreams() {
    requireTransactions();
    Destination<String, String> orders = destination(stream(2));
    Destination<String, String> audit = destination(stream(1));
    TransactionalProducer producer = producer();
    RecordCollector<String, String> gotOrders = collect(orders);
    RecordCollector<String, String> gotAudit = collect(audit);

    Transaction tx = producer.begin();
    List<CompletableFuture<?>> sends = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sends.add(tx.send(orders, "c" + i, "order-" + i));
      sends.add(tx.send(audit, "c" + i, "placed-" + i));
    }
    Await.holdsFor(
        "nothing of the open transaction is received",
        quietPeriod(),
        () -> gotOrders.size() == 0 && gotAudit.size() == 0);
    tx.commit();

    gotOrders.awaitCount(4, timeout());
    gotAudit.awaitCount(4, timeout());
    assertThat(gotOrders.values())
        .containsExactlyInAnyOrder("order-0", "order-1", "order-2", "order-3");
    assertThat(gotAudit.values())
        .containsExactlyInAnyOrder("placed-0", "placed-1", "placed-2", "placed-3");
    assertThat(sends).allSatisfy(f -> assertThat(f).succeedsWithin(timeout()));
  }

  @Test
  @DisplayName(
      "a second producer with the same transactional id fences the first: its commit fails with"
          + " FENCED and nothing of its transaction is received")
  void sameIdentityFences() {
    requireTransactions();
    Destination<String, String> orders = destination(stream(1));
    String id = "sluice-ct-tx-" + ConformanceHarness.randomSuffix();
    TransactionalProducer first = track(sluice().transactionalProducer(id));
    RecordCollector<String, String> got = collect(orders);

    Transaction old = first.begin();
    old.send(orders, "k", "from-the-zombie");
    TransactionalProducer second = (open().transactionalProducer(id));
    second.transaction(tx -> tx.send(orders, "k", "from-the-successor"));
    Throwable thrown = catchThrowable(old::commit);

    assertThat(thrown).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) thrown).code()).isEqualTo(ErrorCode.FENCED);
    got.awaitCount(1, timeout());
    Await.holdsFor("only the successor's record", quietPeriod(), () -> got.size() == 1);
    assertThat(got.values()).containsExactly("from-the-successor");
  }

  @Test
  @DisplayName("a send to a stream that does not exist fails, and so does the commit")
  void missingStreamFailsTheCommit() {
    requireTransactions();
    Destination<String, String> orders = destination(stream(1));
    Destination<String, String> missing =
        Destination.of(harnessNow().missingStreamName(), Serde.string(), Serde.string());
    TransactionalProducer producer = producer();
    RecordCollector<String, String> got = collect(orders);

    Throwable thrown =
        catchThrowable(
            () ->
                producer.transaction(
                    tx -> {
                      tx.send(orders, "k", "with-a-lost-sibling");
                      tx.send(missing, "k", "nowhere");
                    }));
    producer.transaction(tx -> tx.send(orders, "k", "alone"));

    assertThat(thrown).isInstanceOf(SluiceException.class);
    got.awaitCount(1, timeout());
    Await.holdsFor("only the later record", quietPeriod(), () -> got.size() == 1);
    assertThat(got.values()).containsExactly("alone");
  }

  @Test
  @DisplayName("a backend without transactions refuses a transactional producer with UNSUPPORTED")
  void unsupportedWithoutTransactions() {
    Assumptions.assumeFalse(
        sluice().capabilities().supports(Capability.TRANSACTIONS),
        "the backend declares TRANSACTIONS");

    Throwable thrown = catchThrowable(() -> sluice().transactionalProducer("sluice-ct-tx"));

    assertThat(thrown).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) thrown).code()).isEqualTo(ErrorCode.UNSUPPORTED);
  }

  // ------------------------------------------------------------------ helpers

  private void requireTransactions() {
    Assumptions.assumeTrue(
        sluice().capabilities().supports(Capability.TRANSACTIONS),
        "the backend does not declare TRANSACTIONS");
  }

  private TransactionalProducer producer() {
    return track(
        sluice().transactionalProducer("sluice-ct-tx-" + ConformanceHarness.randomSuffix()));
  }

  private RecordCollector<String, String> collect(Destination<String, String> d) {
    return track(RecordCollector.of(sluice(), d.stream(), Serde.string(), Serde.string()));
  }

  private Destination<String, String> destination(String stream) {
    return Destination.of(stream, Serde.string(), Serde.string());
  }
}
