package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.Destination;
import dev.sluice.ErrorCode;
import dev.sluice.Outputs;
import dev.sluice.Record;
import dev.sluice.SluiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What one call of a processor's function emitted, serialized and checked as it is emitted, and
 * sent by the processor only once the call returned (so that a call that throws sends nothing).
 */
final class EmittedOutputs implements Outputs {
  /** One output, serialized and checked. */
  record Outgoing(String stream, Record<byte[], byte[]> record) {}

  private final Set<String> declared;
  private final Capabilities capabilities;
  private final List<Outgoing> records = new ArrayList<>(2);
  private boolean done;

  /**
   * @param declared the output streams the processor declared
   * @param capabilities the backend's, which decide what a record may carry
   */
  EmittedOutputs(Set<String> declared, Capabilities capabilities) {
    this.declared = declared;
    this.capabilities = capabilities;
  }

  @Override
  public <K2, V2> void send(Destination<K2, V2> to, Record<K2, V2> record) {
    Validation.notNull(to, "to");
    Validation.notNull(record, "record");
    if (done) {
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION,
          "Outputs may only be sent during the function call they were given to");
    }
    if (!declared.contains(to.stream())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Stream '"
              + to.stream()
              + "' is not an output of this processor; declare it with .output(...): "
              + declared);
    }
    records.add(new Outgoing(to.stream(), OutgoingRecords.bytes(to, record, capabilities)));
  }

  /** The function call returned: what it emitted, in order; later sends are refused. */
  List<Outgoing> close() {
    done = true;
    return records;
  }
}
