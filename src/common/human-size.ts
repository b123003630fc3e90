const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's %.*g: `precision` significant digits, trailing zeros dropped. */
export function significant(n: number, precision: number): string {
  return String(Number(n.toPrecision(precision)));
}

/** Decimal size with 3 significant digits: 4261234 -> "4.26MB" (go-units' HumanSizeWithPrecision). */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${significant(size, precision)}${DECIMAL_UNITS[i]}`;
}
