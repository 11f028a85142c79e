package dev.sluice.testkit;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs only some areas of the kit when the system property {@code sluice.kit.area} names them
 * (comma-separated, each the nested class's name in {@link SluiceConformanceTest}, such as {@code
 * Seeks}, or the area's, such as {@code SeekTests}): {@code mvn verify -Dsluice.kit.area=Seeks}.
 * Without it, every area runs. For working on one area against a slow backend; a full run is what
 * proves a backend conforms.
 */
final class KitAreaFilter implements ExecutionCondition {
  static final String PROPERTY = "sluice.kit.area";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    String wanted = System.getProperty(PROPERTY, "").trim();
    Class<?> area = context.getTestClass().orElse(null);
    if (wanted.isEmpty() || area == null) {
      return ConditionEvaluationResult.enabled("every area runs");
    }
    Set<String> names =
        Arrays.stream(wanted.split(",")).map(String::trim).collect(Collectors.toSet());
    for (Class<?> c = area; c != null && c != Object.class; c = c.getSuperclass()) {
      if (names.contains(c.getSimpleName())) {
        return ConditionEvaluationResult.enabled(PROPERTY + " names " + c.getSimpleName());
      }
    }
    return ConditionEvaluationResult.disabled(
        PROPERTY + "=" + wanted + " does not name " + area.getSimpleName());
  }
}
