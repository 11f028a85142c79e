package dev.sluice.testbrokers;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link KinesisEmulator} and a {@link DynamoDbEmulator}, each started once per test
 * run (per JVM) on first use and stopped when the run ends.
 *
 * <pre>{@code
 * @ExtendWith(KinesisEmulatorExtension.class)
 * class MyKinesisIT {
 *   @Test
 *   void readsWhatItWrote(KinesisEmulator kinesis, DynamoDbEmulator dynamo) { ... }
 * }
 * }</pre>
 *
 * <p>Both are injected into constructors, {@code @BeforeAll}/{@code @BeforeEach} methods and test
 * methods. Tests share them, so give each test its own stream and table names. With {@code
 * -Dsluice.it.kinesis=skip} every test class using this extension is reported as skipped and
 * nothing starts. Code outside JUnit calls {@link KinesisEmulator#startNew()} and {@link
 * DynamoDbEmulator#startNew()} instead.
 */
public final class KinesisEmulatorExtension implements ParameterResolver, ExecutionCondition {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KinesisEmulatorExtension.class);
  private static final AtomicBoolean SKIP_ANNOUNCED = new AtomicBoolean();

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (KinesisEmulator.skipRequested()) {
      if (SKIP_ANNOUNCED.compareAndSet(false, true)) {
        System.out.println("[sluice] " + KinesisEmulator.skipMessage());
      }
      return ConditionEvaluationResult.disabled(KinesisEmulator.skipMessage());
    }
    return ConditionEvaluationResult.enabled("Kinesis emulator available");
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KinesisEmulator.class || type == DynamoDbEmulator.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == KinesisEmulator.class) {
      return kinesis(context);
    }
    return dynamoDb(context);
  }

  /** The run's shared emulator, started on first call; for use by other extensions. */
  public static KinesisEmulator kinesis(ExtensionContext context) {
    return rootStore(context)
        .getOrComputeIfAbsent(
            KinesisEmulator.class, type -> KinesisEmulator.startNew(), KinesisEmulator.class);
  }

  /** The run's shared DynamoDB emulator, started on first call; for use by other extensions. */
  public static DynamoDbEmulator dynamoDb(ExtensionContext context) {
    return rootStore(context)
        .getOrComputeIfAbsent(
            DynamoDbEmulator.class, type -> DynamoDbEmulator.startNew(), DynamoDbEmulator.class);
  }

  // The root store is closed when the whole run ends, and it closes AutoCloseable values.
  private static ExtensionContext.Store rootStore(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE);
  }
}
