package dev.sluice.testbrokers;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * Gives JUnit 5 tests a real Kafka broker: one {@link KafkaBroker} for the whole test run, started
 * when the first test asks for it and closed (data deleted) when the run ends.
 *
 * <p>The broker is handed to test constructors, test and lifecycle methods with a {@code
 * KafkaBroker} parameter, and to every non-final field of type {@code KafkaBroker} (static fields
 * before {@code @BeforeAll}, instance fields when the test instance is created).
 *
 * <pre>{@code
 * @ExtendWith(KafkaBrokerExtension.class)
 * class OrdersIT {
 *   @Test
 *   void deliversOrders(KafkaBroker broker) {
 *     Map<String, Object> config = Map.of("bootstrap.servers", broker.bootstrapServers());
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>The broker is shared by every test class of the run, so give each test its own topics and
 * consumer groups. A test that stops or restarts the shared broker must not run in parallel with
 * other tests that use it; a test that needs a broker of its own (or different broker settings) can
 * use {@link KafkaBroker#startNew()} or {@link KafkaBroker#builder()} in a try-with-resources block
 * instead.
 */
public final class KafkaBrokerExtension
    implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  /** Creates the extension; JUnit does this for {@code @ExtendWith}. */
  public KafkaBrokerExtension() {}

  /**
   * The broker shared by the whole test run, started on first use. It lives in the root context's
   * store, which closes it when the run ends.
   */
  public static KafkaBroker sharedBroker(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(KafkaBroker.class, type -> KafkaBroker.startNew(), KafkaBroker.class);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    injectFields(context.getRequiredTestClass(), null, context);
  }

  @Override
  public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
    injectFields(testInstance.getClass(), testInstance, context);
  }

  @Override
  public boolean supportsParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == KafkaBroker.class;
  }

  @Override
  public Object resolveParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return sharedBroker(extensionContext);
  }

  /** Sets the static fields when {@code instance} is null, else the instance fields. */
  private static void injectFields(
      Class<?> testClass, @Nullable Object instance, ExtensionContext context) {
    for (Class<?> type = testClass; type != null && type != Object.class; ) {
      for (Field field : type.getDeclaredFields()) {
        boolean isStatic = Modifier.isStatic(field.getModifiers());
        if (field.getType() != KafkaBroker.class
            || Modifier.isFinal(field.getModifiers())
            || isStatic != (instance == null)) {
          continue;
        }
        KafkaBroker broker = sharedBroker(context);
        try {
          field.setAccessible(true);
          field.set(instance, broker);
        } catch (IllegalAccessException | InaccessibleObjectException e) {
          throw new ExtensionConfigurationException(
              "Cannot set the Kafka broker into field " + field, e);
        }
      }
      type = type.getSuperclass();
    }
  }
}
