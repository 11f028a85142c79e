package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import dev.sluice.Sluice;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * What a backend's {@link KitAreas} and {@code -Dsluice.kit.area} select: the kit is launched on
 * the memory backend and the tests that ran, were skipped or failed are read from the launch.
 */
@DisplayName("Selecting areas of the kit")
class KitAreaFilterTest {

  @KitAreas(
      value = {"Ordering", "Positions.malformedPosition"},
      excluded = "Ordering.sendAll",
      excludedBecause = "a reason")
  static class Selected extends SluiceConformanceTest {
    @Override
    protected ConformanceHarness harness() {
      return () -> Sluice.builder().ignoreEnvironment().backend("memory");
    }
  }

  @KitAreas("Ordering.noSuchTest")
  static class Misspelled extends Selected {}

  /** What one launch did. */
  static final class Outcome implements TestExecutionListener {
    final List<String> passed = new CopyOnWriteArrayList<>();
    final List<String> failed = new CopyOnWriteArrayList<>();
    final Map<String, String> skipped = new ConcurrentHashMap<>();

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
      skipped.put(name(id), reason);
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
      if (!id.isTest()) {
        if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
          failed.add(name(id) + ": " + result.getThrowable().map(Throwable::getMessage).orElse(""));
        }
        return;
      }
      (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? passed : failed)
          .add(name(id) + result.getThrowable().map(t -> ": " + t.getMessage()).orElse(""));
    }

    private static String name(TestIdentifier id) {
      // [engine:junit-jupiter]/[class:...]/[nested-class:Ordering]/[method:perKeyOrder()]
      return id.getUniqueIdObject().getSegments().stream()
          .filter(s -> s.getType().equals("nested-class") || s.getType().equals("method"))
          .map(s -> s.getValue().replaceAll("\\(.*", ""))
          .collect(Collectors.joining("."));
    }
  }

  private static Outcome launch(Class<?> test, @Nullable String kitArea) {
    return launch(selectClass(test), kitArea);
  }

  private static Outcome launch(DiscoverySelector selector, @Nullable String kitArea) {
    LauncherDiscoveryRequestBuilder request =
        LauncherDiscoveryRequestBuilder.request().selectors(selector);
    // Always set, so that a -Dsluice.kit.area given to this build does not reach the launch.
    request.configurationParameter(KitAreaFilter.PROPERTY, kitArea == null ? "" : kitArea);
    LauncherDiscoveryRequest built = request.build();
    Outcome outcome = new Outcome();
    LauncherFactory.create().execute(built, outcome);
    return outcome;
  }

  @Test
  @DisplayName("a backend's @KitAreas runs the areas and single tests it names, and no others")
  void defaultSelection() {
    Outcome o = launch(Selected.class, null);

    assertThat(o.failed).isEmpty();
    assertThat(o.passed)
        .containsExactlyInAnyOrder(
            "Ordering.perKeyOrder", "Ordering.perShardOrder", "Positions.malformedPosition");
    assertThat(o.skipped)
        .containsEntry("Ordering.sendAll", "cannot pass on this backend: a reason");
    assertThat(o.skipped).containsKeys("Groups", "Positions.comparableAndParseable");
  }

  @Test
  @DisplayName("sluice.kit.area overrides the default; excluded tests stay out")
  void override() {
    Outcome some = launch(Selected.class, "Routing,SeekTests.seekErrors,Ordering.sendAll");
    assertThat(some.failed).isEmpty();
    assertThat(some.passed).contains("Seeks.seekErrors").anyMatch(t -> t.startsWith("Routing."));
    assertThat(some.passed).allMatch(t -> t.startsWith("Routing.") || t.equals("Seeks.seekErrors"));
    assertThat(some.skipped).containsKeys("Ordering.sendAll", "Ordering.perKeyOrder", "Positions");

    // "all": an area the default leaves out runs (one area launched, not the whole kit).
    Outcome all =
        launch(
            selectNestedClass(List.of(Selected.class), SluiceConformanceTest.Routing.class), "all");
    assertThat(all.failed).isEmpty();
    assertThat(all.passed).isNotEmpty().allMatch(t -> t.startsWith("Routing."));
    assertThat(all.skipped).isEmpty();
  }

  @Test
  @DisplayName("a name that matches no area or test fails the run instead of selecting nothing")
  void misspelledNameFails() {
    Outcome o = launch(Misspelled.class, null);
    assertThat(o.passed).isEmpty();
    assertThat(o.failed).isNotEmpty().allMatch(f -> f.contains("no test noSuchTest"));

    Outcome asked = launch(Selected.class, "Ordring");
    assertThat(asked.failed).isNotEmpty().allMatch(f -> f.contains("no such area"));
  }
}
