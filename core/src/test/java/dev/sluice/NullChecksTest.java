package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.Capabilities.Capability;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every public entry point of the API ({@code dev.sluice}) refuses a null where its parameter is
 * not {@code @Nullable} with {@code INVALID_ARGUMENT} naming the parameter, not a bare {@code
 * NullPointerException}.
 *
 * <p>The types and methods are found by reflection, so a new public method without a check fails
 * this test, and a new parameter type or a new public type without a sample here fails it too,
 * naming what to add. A method may refuse a null by throwing, by failing its returned future, or
 * (the callback sends) by reporting the error to its callback.
 *
 * <p>Left out, on purpose: {@code equals} and {@code compareTo}, whose JDK contracts say what a
 * null does; enums' generated {@code valueOf}; {@link SluiceException}, which is built by Sluice
 * itself; and the callback interfaces an application implements ({@link RecordHandler}, {@link
 * ShardListener}, {@link Serde}'s methods; the built-in serdes are checked).
 */
class NullChecksTest {
  private static final String STREAM = "null-checks";
  private static final String OUTPUT = "null-checks-output";

  private static Sluice sluice;
  private static final AtomicReference<@Nullable Throwable> CALLBACK_ERROR =
      new AtomicReference<>();

  @BeforeAll
  static void open() {
    sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", "null-checks-" + System.nanoTime())
            .open();
    sluice.admin().createStream(STREAM, StreamSpec.withShards(2));
    sluice.admin().createStream(OUTPUT, StreamSpec.withShards(1));
  }

  @AfterAll
  static void close() {
    sluice.close();
  }

  /** Fresh objects to call instance methods on, by type. */
  private static Map<Class<?>, Supplier<?>> receivers() {
    Map<Class<?>, Supplier<?>> r = new HashMap<>();
    r.put(Sluice.class, () -> sluice);
    r.put(Sluice.Builder.class, Sluice::builder);
    r.put(StreamAdmin.class, () -> sluice.admin());
    r.put(GroupAdmin.class, () -> sluice.groups());
    r.put(Producer.class, () -> sluice.producer(STREAM, Serde.string(), Serde.string()));
    r.put(ConsumerBuilder.class, () -> sluice.consumer(STREAM, Serde.string(), Serde.string()));
    r.put(
        Consumer.class,
        () ->
            sluice.consumer(STREAM, Serde.string(), Serde.string()).group("g").start(record -> {}));
    r.put(
        PullConsumer.class,
        () -> sluice.consumer(STREAM, Serde.string(), Serde.string()).group("g").open());
    r.put(ProcessorBuilder.class, () -> sluice.processor(STREAM, Serde.string(), Serde.string()));
    r.put(
        Processor.class,
        () ->
            sluice
                .processor(STREAM, Serde.string(), Serde.string())
                .group("p")
                .output(Destination.bytes(OUTPUT))
                .start((in, out) -> {}));
    r.put(Outputs.class, NullChecksTest::outputs);
    r.put(
        TransactionalProducer.class,
        () -> sluice.transactionalProducer("null-checks-" + System.nanoTime()));
    r.put(
        Transaction.class,
        () -> sluice.transactionalProducer("null-checks-" + System.nanoTime()).begin());
    r.put(Destination.class, () -> Destination.bytes(OUTPUT));
    r.put(Record.class, () -> Record.of("k", "v"));
    r.put(Record.Builder.class, () -> Record.builder("k", "v"));
    r.put(Headers.class, () -> Headers.builder().add("h", "v").build());
    r.put(Headers.Builder.class, Headers::builder);
    r.put(Headers.Header.class, () -> Headers.Header.of("h", new byte[] {1}));
    r.put(Position.class, () -> Position.of(1));
    r.put(Shard.class, () -> Shard.of(0));
    r.put(StartPosition.class, () -> StartPosition.at(Shard.of(0), Position.of(0)));
    r.put(StreamSpec.class, () -> StreamSpec.withShards(1));
    r.put(StreamDescription.class, () -> sluice.admin().describeStream(STREAM));
    r.put(ShardDescription.class, () -> sluice.admin().describeStream(STREAM).shards().get(0));
    r.put(HashKeyRange.class, () -> HashKeyRange.of(BigInteger.ZERO, BigInteger.TEN));
    r.put(FailurePolicy.class, FailurePolicy::defaults);
    r.put(Capabilities.class, () -> sluice.capabilities());
    r.put(Capabilities.Builder.class, Capabilities::builder);
    r.put(Serde.class, Serde::string);
    r.put(SendResult.class, () -> SendResult.of(Shard.of(0), Position.of(0), 0));
    return r;
  }

  /** A valid value for each parameter type, for the parameters not being tested. */
  private static Map<Class<?>, Supplier<?>> samples() {
    Map<Class<?>, Supplier<?>> s = new HashMap<>();
    s.put(String.class, () -> STREAM);
    s.put(Object.class, () -> "x"); // a K or V of the String producers and records above
    s.put(byte[].class, () -> new byte[] {1});
    s.put(Duration.class, () -> Duration.ofMillis(1));
    s.put(Instant.class, () -> Instant.now().minusSeconds(60));
    s.put(Shard.class, () -> Shard.of(0));
    s.put(Shard[].class, () -> new Shard[] {Shard.of(0)});
    s.put(Position.class, () -> Position.of(0));
    s.put(Map.class, HashMap::new);
    s.put(List.class, ArrayList::new);
    s.put(Properties.class, Properties::new);
    s.put(Path.class, () -> Path.of("does-not-matter.properties"));
    s.put(MeterRegistry.class, SimpleMeterRegistry::new);
    s.put(Class.class, () -> String.class);
    s.put(ObjectMapper.class, ObjectMapper::new);
    s.put(Serde.class, Serde::string);
    s.put(StreamSpec.class, () -> StreamSpec.withShards(1));
    s.put(StreamSpec.CleanupPolicy.class, () -> StreamSpec.CleanupPolicy.DELETE);
    s.put(StartPosition.class, StartPosition::earliest);
    s.put(Headers.class, Headers::empty);
    s.put(Record.class, () -> Record.of("k", "v"));
    s.put(FailurePolicy.class, FailurePolicy::defaults);
    s.put(CheckpointMode.class, () -> CheckpointMode.AUTO);
    s.put(ShardListener.class, () -> new ShardListener() {});
    s.put(RecordHandler.class, () -> (RecordHandler<Object, Object>) r -> {});
    s.put(ProcessorFunction.class, () -> (ProcessorFunction<Object, Object>) (in, out) -> {});
    s.put(ProcessingGuarantee.class, () -> ProcessingGuarantee.AT_LEAST_ONCE);
    s.put(Destination.class, () -> Destination.of(OUTPUT, Serde.string(), Serde.string()));
    s.put(TransactionalProducer.Work.class, () -> (TransactionalProducer.Work) tx -> {});
    s.put(
        BiConsumer.class,
        () -> (BiConsumer<Object, Throwable>) (result, error) -> CALLBACK_ERROR.set(error));
    s.put(Capability.class, () -> Capability.NATIVE_HEADERS);
    s.put(Capability[].class, () -> new Capability[] {Capability.NATIVE_HEADERS});
    s.put(Capabilities.OrderingScope.class, () -> Capabilities.OrderingScope.SHARD);
    s.put(Producer.class, () -> sluice.producer(STREAM));
    s.put(BigInteger.class, () -> BigInteger.ONE);
    s.put(HashKeyRange.class, () -> HashKeyRange.of(BigInteger.ZERO, BigInteger.TEN));
    return s;
  }

  /**
   * The {@link Outputs} a processor's function was given, kept after the call: its null checks come
   * before its check that the call is over.
   */
  private static Outputs outputs() {
    java.util.concurrent.CompletableFuture<Outputs> given =
        new java.util.concurrent.CompletableFuture<>();
    String input = "null-checks-in-" + System.nanoTime();
    sluice.admin().createStream(input, StreamSpec.withShards(1));
    sluice
        .processor(input, Serde.string(), Serde.string())
        .group("outputs")
        .output(Destination.bytes(OUTPUT))
        .start((in, out) -> given.complete(out));
    sluice.producer(input, Serde.string(), Serde.string()).send("k", "v").join();
    return given.join();
  }

  private static final Set<String> CONTRACT_METHODS = Set.of("equals", "compareTo");

  private static final Set<Class<?>> APPLICATION_IMPLEMENTS =
      Set.of(
          RecordHandler.class,
          ProcessorFunction.class,
          TransactionalProducer.Work.class,
          ShardListener.class,
          ShardListener.Assigned.class,
          ShardListener.Revoked.class,
          SluiceException.class);

  @Test
  void everyPublicEntryPointRefusesANullWithInvalidArgumentNamingTheParameter() throws Exception {
    Map<Class<?>, Supplier<?>> receivers = receivers();
    Map<Class<?>, Supplier<?>> samples = samples();
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Class<?> type : publicApiTypes()) {
      if (APPLICATION_IMPLEMENTS.contains(type)) {
        continue;
      }
      List<Executable> entries = new ArrayList<>();
      for (Method m : type.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers())
            && !m.isSynthetic()
            && !m.isBridge()
            && !CONTRACT_METHODS.contains(m.getName())
            && !(type.isEnum() && m.getName().equals("valueOf"))) {
          entries.add(m);
        }
      }
      for (Constructor<?> c : type.getConstructors()) {
        entries.add(c);
      }
      entries.sort(Comparator.comparing(Executable::toString));
      for (Executable e : entries) {
        Parameter[] params = e.getParameters();
        AnnotatedType[] annotated = e.getAnnotatedParameterTypes();
        for (int i = 0; i < params.length; i++) {
          if (params[i].getType().isPrimitive()
              || annotated[i].isAnnotationPresent(Nullable.class)) {
            continue;
          }
          assertThat(params[i].isNamePresent())
              .as("core is compiled with -parameters, so the names are known")
              .isTrue();
          String problem = check(type, e, i, receivers, samples);
          checked++;
          if (problem != null) {
            failures.add(e + " with " + params[i].getName() + " = null: " + problem);
          }
        }
      }
    }
    assertThat(failures).as("entry points that do not refuse a null properly").isEmpty();
    assertThat(checked).as("parameters checked").isGreaterThan(80);
  }

  @Test
  void theBuiltInSerdesRefuseANull() {
    for (Serde<?> serde : List.of(Serde.bytes(), Serde.string(), Serde.json(Map.class))) {
      @SuppressWarnings("unchecked")
      Serde<Object> s = (Serde<Object>) serde;
      assertThat(catchSluice(() -> s.serialize(null)))
          .as("%s.serialize(null)", serde)
          .satisfies(x -> assertThat(x.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .satisfies(x -> assertThat(x.getMessage()).contains("value"));
      assertThat(catchSluice(() -> s.deserialize(null)))
          .as("%s.deserialize(null)", serde)
          .satisfies(x -> assertThat(x.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .satisfies(x -> assertThat(x.getMessage()).contains("bytes"));
    }
  }

  @Test
  void positionParseOfNullIsInvalidArgument() {
    SluiceException e = catchSluice(() -> Position.parse(null));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("'text'");
  }

  private static SluiceException catchSluice(Runnable call) {
    try {
      call.run();
    } catch (SluiceException e) {
      return e;
    }
    throw new AssertionError("no SluiceException");
  }

  /** Calls {@code e} with a null at {@code index}; null if it refused it properly, else why not. */
  private static @Nullable String check(
      Class<?> type,
      Executable e,
      int index,
      Map<Class<?>, Supplier<?>> receivers,
      Map<Class<?>, Supplier<?>> samples)
      throws Exception {
    Object receiver = null;
    if (e instanceof Method && !Modifier.isStatic(e.getModifiers())) {
      Supplier<?> make = receivers.get(type);
      if (make == null) {
        return "no receiver: add one for " + type.getName() + " to receivers()";
      }
      receiver = make.get();
    }
    Parameter[] params = e.getParameters();
    Object[] args = new Object[params.length];
    for (int i = 0; i < params.length; i++) {
      if (i == index) {
        continue;
      }
      Class<?> t = params[i].getType();
      if (t.isPrimitive()) {
        args[i] = t == boolean.class ? (Object) false : t == long.class ? (Object) 1L : (Object) 1;
      } else {
        Supplier<?> make = samples.get(t);
        if (make == null) {
          return "no sample: add one for " + t.getName() + " to samples()";
        }
        args[i] = make.get();
      }
    }
    CALLBACK_ERROR.set(null);
    Throwable error;
    try {
      Object result =
          e instanceof Method
              ? ((Method) e).invoke(receiver, args)
              : ((Constructor<?>) e).newInstance(args);
      if (result instanceof CompletableFuture) {
        error = failureOf((CompletableFuture<?>) result);
      } else {
        error = CALLBACK_ERROR.get();
      }
      if (error == null) {
        return "accepted it (returned " + result + ")";
      }
    } catch (InvocationTargetException thrown) {
      error = thrown.getCause();
    } catch (IllegalArgumentException mismatch) {
      return "the test's samples do not fit: " + java.util.Arrays.toString(args);
    } finally {
      if (receiver instanceof AutoCloseable && !(receiver instanceof Sluice)) {
        ((AutoCloseable) receiver).close();
      }
    }
    if (!(error instanceof SluiceException)) {
      return "threw " + error;
    }
    SluiceException se = (SluiceException) error;
    if (se.code() != ErrorCode.INVALID_ARGUMENT) {
      return "failed with " + se.code() + ": " + se.getMessage();
    }
    if (!se.getMessage().contains(params[index].getName())) {
      return "the message does not name '" + params[index].getName() + "': " + se.getMessage();
    }
    return null;
  }

  private static @Nullable Throwable failureOf(CompletableFuture<?> future) throws Exception {
    try {
      future.get(10, TimeUnit.SECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
  }

  /** The public classes and interfaces of {@code dev.sluice}, nested ones included. */
  private static List<Class<?>> publicApiTypes() throws Exception {
    Path dir =
        Path.of(Sluice.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("dev/sluice");
    List<Class<?>> types = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().collect(Collectors.toList())) {
        String file = f.getFileName().toString();
        if (!file.endsWith(".class") || file.equals("package-info.class")) {
          continue;
        }
        Class<?> c = Class.forName("dev.sluice." + file.substring(0, file.length() - 6));
        if (Modifier.isPublic(c.getModifiers()) && !c.isAnonymousClass() && !c.isSynthetic()) {
          boolean reachable = true;
          for (Class<?> outer = c.getEnclosingClass();
              outer != null;
              outer = outer.getEnclosingClass()) {
            reachable &= Modifier.isPublic(outer.getModifiers());
          }
          if (reachable) {
            types.add(c);
          }
        }
      }
    }
    assertThat(types).as("public API types found").contains(Sluice.class, Record.Builder.class);
    return types;
  }
}
