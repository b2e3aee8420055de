// Getting photos into the page: the file picker, drag-and-drop and paste, and reading a File
// into bytes. Sizes are checked before anything is read or decoded; whether the bytes are an
// image is for the decoder (in the worker) to say.
// Owns: the picker's, the drop's and the paste's listeners and the drop zone's dragging mark.
// Must not touch: the photo list (new files go to onFiles) or the decoding.

import { formatBytes } from './format.js';

/**
 * Calls `onFiles(files)` with an array of File for every pick, drop or paste.
 * @param {{ input: HTMLInputElement, dropZone: HTMLElement, onFiles: (files: File[]) => void }} options
 */
export function attachFileSources({ input, dropZone, onFiles }) {
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    // Reset, so that picking the same file again is a change too.
    input.value = '';
    if (files.length) onFiles(files);
  });

  // Anywhere on the page accepts a drop (the browser would otherwise navigate to the file);
  // the drop zone lights up while files are dragged over the window.
  let depth = 0;
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    dropZone.classList.add('is-dragging');
  });
  window.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropZone.classList.remove('is-dragging');
  });
  window.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    dropZone.classList.remove('is-dragging');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) onFiles(files);
  });

  let pasted = 0;
  document.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    onFiles(
      files.map((file) => {
        // Pasted screenshots are all called "image.png"; number them.
        pasted += 1;
        const ext = file.type === 'image/jpeg' ? 'jpg' : (file.type.split('/')[1] ?? 'png');
        return new File([file], `pasted-${pasted}.${ext}`, { type: file.type });
      }),
    );
  });
}

/** Why `file` is refused before reading (above `maxBytes`, or empty), or null when it may be read. */
function checkFile(file, maxBytes) {
  if (file.size === 0) return 'empty file (0 bytes)';
  if (file.size > maxBytes) {
    return `file is ${formatBytes(file.size)}, above the limit of ${formatBytes(maxBytes)}`;
  }
  return null;
}

/** Reads a File of at most `maxBytes` into bytes; rejects with a message for people. */
export async function readFile(file, maxBytes) {
  const problem = checkFile(file, maxBytes);
  if (problem) throw new Error(problem);
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    throw new Error(`the file could not be read: ${err.message}`);
  }
}
