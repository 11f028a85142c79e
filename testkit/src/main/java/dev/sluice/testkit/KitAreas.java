package dev.sluice.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Which parts of the kit a backend's conformance test runs by default, and which tests cannot pass
 * on it. Put it on the class that extends {@link SluiceConformanceTest}; without it, the whole kit
 * runs. For a second run of the kit against the same backend in another mode (another consumer
 * type, producer aggregation on), where only the areas that the mode changes are worth their time:
 *
 * <pre>{@code
 * @KitAreas(
 *     value = {"Ordering", "Standalone", "Groups.shareAndTakeOver"},
 *     excluded = "Resharding.splitKeepsKeyOrder",
 *     excludedBecause = "the emulator never ends a subscription at a closed shard's end")
 * class KinesisFanOutConformanceIT extends SluiceConformanceTest { ... }
 * }</pre>
 *
 * <p>A name is an area, the name of its nested class in {@link SluiceConformanceTest} (such as
 * {@code Seeks}) or of its area class ({@code SeekTests}), or one test of an area, {@code
 * Area.method} ({@code Groups.shareAndTakeOver}). A name that matches no area or test fails the
 * run, so a renamed test cannot silently drop out of a selection.
 *
 * <p>The system property {@code sluice.kit.area} overrides the default for every conformance test
 * of the run: {@code -Dsluice.kit.area=all} runs the whole kit, {@code
 * -Dsluice.kit.area=Seeks,Groups} the areas or tests named (the same names as above). {@link
 * #excluded()} tests never run.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface KitAreas {
  /**
   * The areas and tests that run by default.
   *
   * @return area names or {@code Area.method} names; empty for the whole kit
   */
  String[] value() default {};

  /**
   * Tests (or areas) that cannot pass on this backend; they are reported as skipped with {@link
   * #excludedBecause()}, also when {@code sluice.kit.area} names them.
   *
   * @return area names or {@code Area.method} names
   */
  String[] excluded() default {};

  /**
   * Why the {@link #excluded()} tests cannot pass, shown as the reason they were skipped.
   *
   * @return the reason, for the test report
   */
  String excludedBecause() default "";
}
