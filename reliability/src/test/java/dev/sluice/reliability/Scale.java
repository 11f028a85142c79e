package dev.sluice.reliability;

/** How much larger than the default sizes to run: {@code -Dsluice.reliability.scale=10}. */
final class Scale {
  private Scale() {}

  static int factor() {
    return Integer.getInteger("sluice.reliability.scale", 1);
  }

  static int times(int base) {
    return base * factor();
  }
}
