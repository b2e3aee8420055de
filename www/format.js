// Formatting of numbers for people: bytes, milliseconds, FLOPs, pixel counts.
// Owns: only the wording of numbers. Must not touch: anything else.

/** 1536 -> "1.5 KiB", 4294967296 -> "4.0 GiB". */
export function formatBytes(bytes) {
  if (bytes == null || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 0.42 -> "0.42 ms", 8.3 -> "8.3 ms", 1234.5 -> "1,235 ms". */
export function formatMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms).toLocaleString('en-US')} ms`;
}

/** 3.2e9 -> "3.2 GFLOP". */
export function formatFlops(flops) {
  if (flops == null || !Number.isFinite(flops)) return '–';
  const units = ['FLOP', 'kFLOP', 'MFLOP', 'GFLOP', 'TFLOP', 'PFLOP'];
  let value = flops;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** 512, 384 -> "512×384". */
export function formatSize(width, height) {
  return `${width}×${height}`;
}
