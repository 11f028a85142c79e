package dev.sluice;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.internal.Validation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Turns keys and values into bytes and back. Sluice stores bytes; a serde gives a typed view.
 *
 * <pre>{@code
 * Producer<String, Order> orders = sluice.producer("orders", Serde.string(), Serde.json(Order.class));
 * }</pre>
 *
 * <p>A serde must be thread-safe and must not return null for a non-null input. Exceptions it
 * throws reach the application as {@link ErrorCode#SERIALIZATION}.
 *
 * @param <T> the type on the application's side
 */
public interface Serde<T> {
  /**
   * The bytes for a value.
   *
   * @param value the application's value
   * @return its bytes
   */
  byte[] serialize(T value);

  /**
   * The value for bytes written by {@link #serialize}.
   *
   * @param bytes the bytes read from the broker
   * @return the value
   */
  T deserialize(byte[] bytes);

  /**
   * Bytes as they are (no copy).
   *
   * @return bytes as they are (no copy)
   */
  static Serde<byte[]> bytes() {
    return Serdes.BYTES;
  }

  /**
   * UTF-8 text.
   *
   * @return the serde
   */
  static Serde<String> string() {
    return Serdes.STRING;
  }

  /**
   * JSON through Jackson, with a default {@code ObjectMapper} (the modules on the class path
   * registered). Jackson is an optional dependency of Sluice: add {@code
   * com.fasterxml.jackson.core:jackson-databind} to use this serde.
   *
   * @param <T> the type
   * @param type the class to read values as
   * @return the serde
   * @throws SluiceException {@link ErrorCode#INVALID_CONFIG} when Jackson is not on the class path
   */
  static <T> Serde<T> json(Class<T> type) {
    Validation.notNull(type, "type");
    return json(type, JsonMapper.standard());
  }

  /**
   * JSON through Jackson, with the application's {@code ObjectMapper}. Jackson is an optional
   * dependency of Sluice: add {@code com.fasterxml.jackson.core:jackson-databind} to use this
   * serde.
   *
   * @param <T> the type
   * @param type the class to read values as
   * @param mapper the Jackson mapper to use
   * @return the serde
   */
  static <T> Serde<T> json(Class<T> type, ObjectMapper mapper) {
    Validation.notNull(type, "type");
    Validation.notNull(mapper, "mapper");
    return new Serde<>() {
      @Override
      public byte[] serialize(T value) {
        Validation.notNull(value, "value");
        try {
          return mapper.writeValueAsBytes(value);
        } catch (IOException e) {
          throw new SluiceException(
              ErrorCode.SERIALIZATION,
              "Cannot write " + type.getName() + " as JSON: " + e.getMessage(),
              e);
        }
      }

      @Override
      public T deserialize(byte[] bytes) {
        Validation.notNull(bytes, "bytes");
        try {
          return mapper.readValue(bytes, type);
        } catch (IOException e) {
          throw new SluiceException(
              ErrorCode.SERIALIZATION,
              "Cannot read JSON as " + type.getName() + ": " + e.getMessage(),
              e);
        }
      }

      @Override
      public String toString() {
        return "Serde.json(" + type.getSimpleName() + ")";
      }
    };
  }
}

/**
 * The JSON serde's default mapper. Jackson is optional, so nothing touches an {@code ObjectMapper}
 * until {@link Serde#json(Class)} is called: then a missing Jackson is a {@link SluiceException}
 * that names the artifact, not a {@link NoClassDefFoundError} from deep inside.
 */
final class JsonMapper {
  static final String ARTIFACT = "com.fasterxml.jackson.core:jackson-databind";

  private JsonMapper() {}

  static ObjectMapper standard() {
    try {
      Class.forName(
          "com.fasterxml.jackson.databind.ObjectMapper", false, Serde.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new SluiceException(
          ErrorCode.INVALID_CONFIG,
          "Serde.json needs Jackson, which is not on the class path: add the dependency "
              + ARTIFACT
              + " (sluice-bom manages its version)",
          e);
    }
    return Standard.MAPPER;
  }

  /** Created on first use only (the holder idiom), after the check above. */
  private static final class Standard {
    static final ObjectMapper MAPPER = new ObjectMapper().findAndRegisterModules();
  }
}

/** The built-in serdes, shared. */
final class Serdes {
  static final Serde<byte[]> BYTES =
      new Serde<>() {
        @Override
        public byte[] serialize(byte[] value) {
          return Validation.notNull(value, "value");
        }

        @Override
        public byte[] deserialize(byte[] bytes) {
          return Validation.notNull(bytes, "bytes");
        }

        @Override
        public String toString() {
          return "Serde.bytes()";
        }
      };

  static final Serde<String> STRING =
      new Serde<>() {
        @Override
        public byte[] serialize(String value) {
          return Validation.notNull(value, "value").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String deserialize(byte[] bytes) {
          return new String(Validation.notNull(bytes, "bytes"), StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
          return "Serde.string()";
        }
      };

  private Serdes() {}
}
