package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.GroupAdmin;
import dev.sluice.GroupDescription;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamAdmin;
import java.util.List;
import java.util.function.Supplier;

/**
 * The portable group admin: names checked, the stream's existence checked (so a missing stream is
 * {@code NOT_FOUND} on every backend, also where groups live apart from streams), errors mapped.
 */
final class ValidatingGroupAdmin implements GroupAdmin {
  private final SluiceRuntime runtime;
  private final StreamAdmin streams;

  ValidatingGroupAdmin(SluiceRuntime runtime, StreamAdmin streams) {
    this.runtime = runtime;
    this.streams = streams;
  }

  private GroupAdmin driver() {
    // Asked on each call: a backend without group admin fails only when it is used.
    return runtime.backend().groups();
  }

  @Override
  public List<String> listGroups(String stream) {
    requireStream(stream);
    return call(() -> driver().listGroups(stream));
  }

  @Override
  public GroupDescription describeGroup(String stream, String group) {
    requireStream(stream);
    Validation.groupName(Validation.notNull(group, "group"));
    return call(() -> driver().describeGroup(stream, group));
  }

  @Override
  public void resetGroup(String stream, String group, StartPosition to) {
    Validation.notNull(to, "to");
    requireStream(stream);
    Validation.groupName(Validation.notNull(group, "group"));
    call(
        () -> {
          driver().resetGroup(stream, group, to);
          return null;
        });
  }

  @Override
  public void deleteGroup(String stream, String group) {
    requireStream(stream);
    Validation.groupName(Validation.notNull(group, "group"));
    call(
        () -> {
          driver().deleteGroup(stream, group);
          return null;
        });
  }

  private void requireStream(String stream) {
    Validation.streamName(stream);
    if (!streams.exists(stream)) {
      throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + stream + "' does not exist");
    }
  }

  private <T> T call(Supplier<T> action) {
    runtime.checkOpen();
    try {
      return action.get();
    } catch (RuntimeException e) {
      throw runtime.translate(e);
    }
  }
}
