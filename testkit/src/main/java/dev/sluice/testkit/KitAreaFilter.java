package dev.sluice.testkit;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the areas and tests a backend's conformance test selects: {@code -Dsluice.kit.area} if set,
 * else the backend's {@link KitAreas} default, else the whole kit; never its {@link
 * KitAreas#excluded()} tests. See {@link KitAreas} for the names.
 */
final class KitAreaFilter implements ExecutionCondition {
  static final String PROPERTY = "sluice.kit.area";

  /** One name of a selection: an area, or one test of an area ({@code method} not null). */
  private static final class Name {
    final String area;
    final @Nullable String method;

    private Name(String area, @Nullable String method) {
      this.area = area;
      this.method = method;
    }

    static List<Name> parse(String[] names, String where) {
      List<Name> out = new ArrayList<>();
      for (String raw : names) {
        String name = raw.trim();
        if (name.isEmpty()) {
          continue;
        }
        int dot = name.indexOf('.');
        Name n =
            dot < 0
                ? new Name(name, null)
                : new Name(name.substring(0, dot), name.substring(dot + 1));
        n.check(name, where);
        out.add(n);
      }
      return out;
    }

    /** Fails the run for a name that matches nothing: a typo must not shrink a selection. */
    private void check(String name, String where) {
      Optional<Class<?>> nested =
          Arrays.stream(SluiceConformanceTest.class.getDeclaredClasses())
              .filter(this::namesArea)
              .findFirst();
      if (nested.isEmpty()) {
        throw new ExtensionConfigurationException(
            where
                + " names '"
                + name
                + "', but the kit has no such area; the areas are "
                + areas());
      }
      if (method != null && !hasMethod(nested.get(), method)) {
        throw new ExtensionConfigurationException(
            where + " names '" + name + "', but area " + area + " has no test " + method);
      }
    }

    /** Whether this name's area is {@code area} (the nested class) or its area class. */
    boolean namesArea(Class<?> area) {
      for (Class<?> c = area; c != null && c != Object.class; c = c.getSuperclass()) {
        if (c.getSimpleName().equals(this.area)) {
          return true;
        }
      }
      return false;
    }

    private static boolean hasMethod(Class<?> area, String method) {
      for (Class<?> c = area; c != null && c != Object.class; c = c.getSuperclass()) {
        for (Method m : c.getDeclaredMethods()) {
          if (m.getName().equals(method)) {
            return true;
          }
        }
      }
      return false;
    }

    private static String areas() {
      return Arrays.stream(SluiceConformanceTest.class.getDeclaredClasses())
          .map(Class::getSimpleName)
          .sorted()
          .collect(Collectors.joining(", "));
    }
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Class<?> area = context.getTestClass().orElse(null);
    if (area == null || !ConformanceArea.class.isAssignableFrom(area)) {
      return ConditionEvaluationResult.enabled("not an area of the kit");
    }
    @Nullable String method = context.getTestMethod().map(Method::getName).orElse(null);
    Class<?> backend = outermostClass(context);
    @Nullable KitAreas declared = backend.getAnnotation(KitAreas.class); // @Inherited
    if (declared != null && method != null) {
      String where = "@KitAreas(excluded) of " + backend.getSimpleName();
      for (Name n : Name.parse(declared.excluded(), where)) {
        if (n.namesArea(area) && (n.method == null || n.method.equals(method))) {
          return ConditionEvaluationResult.disabled(
              "cannot pass on this backend: " + declared.excludedBecause());
        }
      }
    }

    // A configuration parameter of the launch, or else the system property of that name.
    String asked = context.getConfigurationParameter(PROPERTY).orElse("").trim();
    List<Name> selection;
    String source;
    if (!asked.isEmpty()) {
      if (asked.equals("all")) {
        return ConditionEvaluationResult.enabled(PROPERTY + "=all");
      }
      source = PROPERTY + "=" + asked;
      selection = Name.parse(asked.split(","), source);
    } else if (declared != null && declared.value().length > 0) {
      source = "@KitAreas of " + backend.getSimpleName() + " (-D" + PROPERTY + "=all runs all)";
      selection = Name.parse(declared.value(), source);
    } else {
      return ConditionEvaluationResult.enabled("the whole kit runs");
    }
    for (Name n : selection) {
      if (n.namesArea(area) && (n.method == null || method == null || n.method.equals(method))) {
        return ConditionEvaluationResult.enabled("selected by " + source);
      }
    }
    return ConditionEvaluationResult.disabled("not selected by " + source);
  }

  /** The backend's conformance test: the top-level class the areas are nested in at run time. */
  private static Class<?> outermostClass(ExtensionContext context) {
    Class<?> outermost = context.getRequiredTestClass();
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      if (c.getTestClass().isPresent()) {
        outermost = c.getTestClass().get();
      }
    }
    return outermost;
  }
}
