package dev.sluice.spi;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;

/**
 * What a driver's {@code unwrap} does: hand out a native client it holds, or fail with {@link
 * ErrorCode#UNSUPPORTED} saying what it does have, worded alike on every backend.
 */
public final class Unwrap {
  private Unwrap() {}

  /**
   * {@code client} as {@code type} if it is one, else the {@link #unsupported} error.
   *
   * @param owner who was asked, the message's subject: {@code "A Kafka producer"}
   * @param has what it does unwrap to, for the message
   * @param <T> the type
   * @param type the class asked for
   * @param client the native client
   * @return {@code client} as {@code type}
   */
  public static <T> T as(Class<T> type, Object client, String owner, String has) {
    if (type.isInstance(client)) {
      return type.cast(client);
    }
    throw unsupported(type, owner, has);
  }

  /**
   * The error of an {@code unwrap} to a type that {@code owner} has no client of.
   *
   * @param type the class asked for
   * @param owner what was asked, for the message (e.g. {@code "Kafka producer"})
   * @param has the client types it has, for the message
   * @return the error of an {@code unwrap} to a type that {@code owner} has no client of
   */
  public static SluiceException unsupported(Class<?> type, String owner, String has) {
    return new SluiceException(
        ErrorCode.UNSUPPORTED,
        owner + " has no client of type " + type.getName() + "; it has " + has);
  }
}
