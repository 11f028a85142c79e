package dev.sluice.schema;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** The test schemas: an order, its compatible evolution and an incompatible change. */
final class Schemas {
  /** Version 1: id and amount. */
  static final Schema ORDER_V1 =
      parse(
          "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
              + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"}]}");

  /** Version 2: an optional note added (a union with null, default null): backward compatible. */
  static final Schema ORDER_V2 =
      parse(
          "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
              + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"},"
              + "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}");

  /** A required field without a default: a reader on it cannot read version 1 records. */
  static final Schema ORDER_INCOMPATIBLE =
      parse(
          "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
              + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"},"
              + "{\"name\":\"currency\",\"type\":\"string\"}]}");

  private Schemas() {}

  static GenericRecord orderV1(String id, long amount) {
    GenericRecord r = new GenericData.Record(ORDER_V1);
    r.put("id", id);
    r.put("amount", amount);
    return r;
  }

  static GenericRecord orderV2(String id, long amount, String note) {
    GenericRecord r = new GenericData.Record(ORDER_V2);
    r.put("id", id);
    r.put("amount", amount);
    r.put("note", note);
    return r;
  }

  static GenericRecord incompatible(String id) {
    GenericRecord r = new GenericData.Record(ORDER_INCOMPATIBLE);
    r.put("id", id);
    r.put("amount", 1L);
    r.put("currency", "EUR");
    return r;
  }

  private static Schema parse(String json) {
    return new Schema.Parser().parse(json);
  }
}
