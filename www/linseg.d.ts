// Types of the library (www/linseg.js). The shapes Rust owns — the catalog, a cost, what a
// look at a cell returns, the error kinds — come from the wasm build's declarations, which
// wasm-bindgen and tsify generate from the Rust types themselves (src/web/, src/error.rs).

import type { BackendInfo, Catalog, CostReport, ErrorKind, LookPrepared, LookedAt } from './pkg/linseg.js';

export type { BackendInfo, Catalog, CostReport, ErrorKind, LookPrepared, LookedAt };

/** The backends a segmenter may be asked for. */
export declare const BACKENDS: readonly ['auto', 'webgpu', 'cpu'];

/** A segmenter's settings when none are given. */
export declare const DEFAULTS: { readonly mode: string; readonly size: number };

/** Every failure the library reports. */
export declare class LinsegError extends Error {
  constructor(kind: ErrorKind, message: string);
  readonly name: 'LinsegError';
  /** What kind of failure it is: one of src/error.rs's kinds. */
  readonly kind: ErrorKind;
  /** `err` as a LinsegError (an error the wasm threw keeps the kind Rust gave it). */
  static from(err: unknown): LinsegError;
}

export interface SegmenterOptions {
  /** The attention mode (default 'linear'; `segmenter.modes` lists them). */
  mode?: string;
  /** The processing size, the longer side the network sees (default 256; `segmenter.sizes`). */
  size?: number;
  /** 'auto' (default): WebGPU on a hardware adapter, else the CPU; 'webgpu': on any adapter. */
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** The CPU kernels' threads (default: one per core, at most four, where cross-origin isolated). */
  threads?: number | null;
  /** The folder linseg's files are fetched from (holding www/ and models/). */
  baseUrl?: string | URL | null;
}

/** What `segment` takes: a decoded image, an element the browser draws, or encoded bytes. */
export type SegmentSource =
  | ImageBitmap
  | ImageData
  | HTMLImageElement
  | HTMLVideoElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | VideoFrame
  | Blob
  | ArrayBuffer
  | ArrayBufferView;

export interface SegmentOptions {
  /** The processing size (default: the segmenter's). */
  size?: number;
  /** The attention mode (default: the segmenter's). */
  mode?: string;
  /** Also return the probabilities as a Float32Array. */
  probabilities?: boolean;
}

/** One segmented image. */
export interface Segmentation {
  /** The photo's width in pixels. */
  width: number;
  /** The photo's height in pixels. */
  height: number;
  /** One value per pixel, row-major: the probability of a person × 255. */
  mask: Uint8ClampedArray;
  /** The mask's values over 255 (0–1), when asked for. */
  probabilities?: Float32Array;
  mode: string;
  size: number;
  backend: 'webgpu' | 'cpu';
  /** Milliseconds per step; totalMs from the call into the module to its answer. */
  timings: {
    preprocessMs: number;
    inferenceMs: number;
    readbackMs: number;
    postprocessMs: number;
    totalMs: number;
  };
}

/** A live-video frame's segmentation. */
export interface VideoSegmentation extends Segmentation {
  timestampMs: number;
}

/** The weights the block gathers context with for one cell (Float32Array weights). */
export type CellWeights = Omit<LookedAt, 'weights'> & { weights: Float32Array };

/** Person segmentation in a Web Worker of its own. */
export declare class Segmenter extends EventTarget {
  /** A ready segmenter. */
  static create(options?: SegmenterOptions): Promise<Segmenter>;
  constructor(options?: SegmenterOptions);
  /** Starts the worker (create() calls it); resolves with the backend info once warm. */
  start(): Promise<BackendInfo>;
  /** The mode `segment` uses unless told otherwise. */
  mode: string;
  /** The size `segment` uses unless told otherwise. */
  size: number;
  /** The backend that runs now. */
  readonly backend: 'webgpu' | 'cpu' | null;
  /** Why it runs there, in words. */
  readonly reason: string | null;
  /** The backend's details. */
  readonly info: BackendInfo | null;
  /** The attention modes offered. */
  readonly modes: string[];
  /** The processing sizes offered. */
  readonly sizes: number[];
  /** Every kind a LinsegError may have. */
  readonly errorKinds: ErrorKind[];
  /** What the model offers (resolves once the module has loaded). */
  readonly catalog: Promise<Catalog>;
  /** Live-video frames dropped because the previous one was still running. */
  readonly droppedFrames: number;
  /** Makes `mode` the default; rejects 'unknown-mode' for a mode linseg does not have. */
  setMode(mode: string): Promise<void>;
  /** The attention block's cost of `mode` at `size` (a square photo unless given), and whether it is refused. */
  cost(mode: string, size: number, photo?: { width: number; height: number }): Promise<CostReport>;
  /** Segments a photo. */
  segment(source: SegmentSource, options?: SegmentOptions): Promise<Segmentation>;
  /** Segments a live frame, or resolves null at once when the previous one still runs. */
  segmentForVideo(
    frame: HTMLVideoElement | VideoFrame | ImageBitmap | HTMLCanvasElement | OffscreenCanvas,
    timestampMs: number,
    options?: SegmentOptions,
  ): Promise<VideoSegmentation | null>;
  /** The weights for the cell under the photo's pixel (x, y) in the photo last segmented. */
  lookAt(x: number, y: number): Promise<CellWeights | null>;
  /** Stops the run in progress at once (the worker is replaced); its call rejects 'cancelled'. */
  cancel(reason: string): void;
  /** Ends the worker and gives its memory back; later calls reject 'closed'. */
  close(): void;

  // Photos kept in the worker by an id of the caller's, for a page that segments one photo many
  // times (linseg's own page): decoded once, run in any mode and size, looked into.

  /** Resolves with the backend info once the worker is warm (again, after a replacement). */
  readonly ready: Promise<BackendInfo>;
  /** How long the latest worker took from spawn to ready, in ms: what a cancel costs. */
  readonly startMs: number | null;
  /** Decodes encoded bytes into a photo the worker keeps under `imageId`. */
  decode(imageId: string | number, bytes: Uint8Array, options?: { pixels?: boolean }): Promise<{ width: number; height: number; rgba: Uint8Array | null }>;
  /** Keeps a bitmap (transferred) or RGBA pixels as a photo under `imageId`. */
  keepPixels(imageId: string | number, pixels: { bitmap: ImageBitmap | VideoFrame } | { rgba: Uint8Array; width: number; height: number }): Promise<{ width: number; height: number }>;
  /** Whether the current worker holds the photo (a replaced worker holds none). */
  has(imageId: string | number): boolean;
  /** Drops a kept photo. */
  forget(imageId: string | number): Promise<boolean>;
  /** Segments a kept photo: the mask as Uint8Array, with the run's timings and cost. */
  segmentImage(imageId: string | number, mode: string, size: number): Promise<Omit<Segmentation, 'mask' | 'timings'> & { mask: Uint8Array; cost: CostReport; totalMs: number }>;
  /** The block's cost for a `width × height` photo: { cost, refusal }. */
  costAt(mode: string, width: number, height: number, size: number): Promise<{ cost: CostReport; refusal: string | null }>;
  /** Prepares lookAt for a kept photo in `mode` at `size`. */
  prepareLook(imageId: string | number, mode: string, size: number): Promise<LookPrepared>;
}
