package dev.sluice.schema.glue;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * A specific record written the way Avro's compiler writes one (a static {@code SCHEMA$}, indexed
 * get and put), so the tests need no code generation step.
 */
public final class Greeting extends SpecificRecordBase {
  private static final long serialVersionUID = 1L;

  /** The class's schema; its full name is this class's name, as Avro requires. */
  public static final Schema SCHEMA$ =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"Greeting\",\"namespace\":\"dev.sluice.schema\","
                  + "\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                  + "{\"name\":\"count\",\"type\":\"int\"}]}");

  private CharSequence text = "";
  private int count;

  /** For Avro's reader. */
  public Greeting() {}

  Greeting(String text, int count) {
    this.text = text;
    this.count = count;
  }

  String text() {
    return text.toString();
  }

  int count() {
    return count;
  }

  @Override
  public Schema getSchema() {
    return SCHEMA$;
  }

  @Override
  public Object get(int field) {
    switch (field) {
      case 0:
        return text;
      case 1:
        return count;
      default:
        throw new IndexOutOfBoundsException("No field " + field);
    }
  }

  @Override
  public void put(int field, Object value) {
    switch (field) {
      case 0:
        text = (CharSequence) value;
        break;
      case 1:
        count = (Integer) value;
        break;
      default:
        throw new IndexOutOfBoundsException("No field " + field);
    }
  }
}
