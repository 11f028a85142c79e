package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kinesis.internal.LeaseBalancer.OpenLease;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Evening out a group's shards")
class LeaseBalancerTest {

  /** Leases owned as listed: owners("a", "a", "b") is two leases of a, one of b. */
  private static List<OpenLease> owned(String... owners) {
    List<OpenLease> leases = new ArrayList<>();
    for (int i = 0; i < owners.length; i++) {
      leases.add(new OpenLease("shard-" + i, owners[i], false));
    }
    return leases;
  }

  @Test
  @DisplayName("a member left out of 2/2/0 (KCL 3.5.1's lease-count result) takes one lease")
  void takesFromTheFullest() {
    Optional<OpenLease> take = LeaseBalancer.leaseToTake("c", owned("a", "a", "b", "b"));
    assertThat(take).isPresent();
    assertThat(take.get().owner).isIn("a", "b");
  }

  @Test
  @DisplayName("once counts differ by at most one, nothing moves")
  void evenGroupStays() {
    assertThat(LeaseBalancer.leaseToTake("c", owned("a", "a", "b", "c"))).isEmpty();
    assertThat(LeaseBalancer.leaseToTake("a", owned("a", "a", "b", "c"))).isEmpty();
    assertThat(LeaseBalancer.leaseToTake("a", owned("a", "b"))).isEmpty();
  }

  @Test
  @DisplayName("10 shards on 4 members: the one with 1 of 3/3/3/1 takes one")
  void belowTheFloor() {
    List<OpenLease> leases = owned("a", "a", "a", "b", "b", "b", "c", "c", "c", "d");
    assertThat(LeaseBalancer.leaseToTake("d", leases)).isPresent();
    assertThat(LeaseBalancer.leaseToTake("a", leases)).isEmpty();
  }

  @Test
  @DisplayName("nothing moves while a lease has no owner (the KCL assigns those)")
  void waitsForTheKcl() {
    List<OpenLease> leases = owned("a", "a", "a");
    leases.add(new OpenLease("shard-9", null, false));
    assertThat(LeaseBalancer.leaseToTake("b", leases)).isEmpty();
  }

  @Test
  @DisplayName("a lease already being handed off is not moved again")
  void skipsHandOffs() {
    List<OpenLease> leases = new ArrayList<>();
    leases.add(new OpenLease("s0", "a", true));
    leases.add(new OpenLease("s1", "a", true));
    assertThat(LeaseBalancer.leaseToTake("b", leases)).isEmpty();
    leases.add(new OpenLease("s2", "a", false));
    assertThat(LeaseBalancer.leaseToTake("b", leases)).map(l -> l.key).contains("s2");
  }
}
