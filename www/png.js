// A greyscale PNG encoder for masks: one channel, 8 bits, what image tools expect of a mask,
// written without a canvas (a canvas would store RGBA with grey colour channels, and its PNG
// encoder is slow on large images). The pixel rows are compressed by the platform's
// CompressionStream('deflate'), which writes the zlib format PNG's IDAT chunk wants.
// Owns: the byte layout of the file. Must not touch: the DOM.

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** CRC-32 (the polynomial PNG uses), one table built on first use. */
let crcTable = null;
function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, CRC of type and data. */
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes `grey` (width*height bytes, row by row) as an 8-bit greyscale PNG; resolves a Blob
 * of type image/png. Rows use no filter: masks are mostly long runs, which deflate takes well.
 */
export async function greyPng(grey, width, height) {
  if (!(width > 0 && height > 0) || grey.length !== width * height) {
    throw new Error(`${grey.length} bytes are not a ${width}×${height} image`);
  }
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const compressed = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer(),
  );
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (grey), deflate, no filter method, no interlace
  return new Blob(
    [new Uint8Array(SIGNATURE), chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))],
    { type: 'image/png' },
  );
}
