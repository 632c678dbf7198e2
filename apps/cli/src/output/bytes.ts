const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Sizes for tables: "0 B", "812 B", "4.2 MB", "17 GB" (powers of 1024, as disks and quotas count). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}
