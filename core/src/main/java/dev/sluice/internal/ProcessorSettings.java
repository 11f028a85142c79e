package dev.sluice.internal;

import dev.sluice.Destination;
import dev.sluice.FailurePolicy;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.ProcessorFunction;
import dev.sluice.Serde;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.util.Map;

/** A snapshot of what a {@code ProcessorBuilder} was told. */
public record ProcessorSettings<K, V>(
    String stream,
    String group,
    Serde<K> keySerde,
    Serde<V> valueSerde,
    Map<String, Destination<?, ?>> outputs,
    ProcessingGuarantee guarantee,
    Duration commitInterval,
    StartPosition startPosition,
    FailurePolicy failurePolicy,
    int maxBufferedRecords,
    ProcessorFunction<K, V> function) {}
