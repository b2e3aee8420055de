// The camera's stream and its frame loop. Owns the MediaStream (started only by start(), ended
// by stop() or by the track ending), the hidden <video> it plays in, and the newest-frame-wins
// loop: each new video frame becomes a VideoFrame (an ImageBitmap where there are none) that is
// transferred to a worker, with at most one frame in flight per worker (`lanes`: one, or the
// frame pool's workers on the CPU) and one waiting (a newer frame replaces the waiting one,
// which is closed and counted as dropped), never a queue. With several lanes a mask may come
// back after a newer frame's: it is counted as late and not shown. Each frame sent keeps a second
// handle (`picture`) that comes back with its mask, so that the mask is drawn over the frame it
// was computed from, not over a newer one (under motion it would lag behind the person by the
// latency). It draws nothing; camera-panel.js wires it to the page.
// Owns: the MediaStream, its hidden <video> and the frame loop. Must not touch: any other page
// element or the workers (frames go through the `segment` function it was given).
//
// Events: 'state' { state }            off | starting | live
//         'result' { result, latencyMs, picture }
//                                      a frame's mask (engine.frame's answer) and the frame it
//                                      was computed from (a VideoFrame or ImageBitmap the
//                                      listener owns and must close); latency from the
//                                      bitmap's capture to the mask's arrival
//         'frame-error' { error }      a frame failed (the loop goes on)
//         'ended' {}                   the track ended by itself (camera unplugged, revoked)

/** A sentence saying why the camera did not start, for a getUserMedia failure. */
export function cameraErrorMessage(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow the camera for this page in the browser’s site settings, then press Camera again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one, then press Camera again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is in use by another application, or the system would not start it. Close the other application, then press Camera again.';
    case 'NoCameraApi':
      return 'This browser offers this page no camera (it needs a secure page: https or localhost).';
    default:
      return `The camera could not start: ${err?.message ?? err}`;
  }
}

/**
 * The video's current frame, as a VideoFrame where the browser has them (no pixel copy: a
 * camera's frame stays in the memory it arrived in, and the worker converts it once), else as an
 * ImageBitmap. Either is transferable and has close().
 */
async function grabFrame(video) {
  if (typeof VideoFrame === 'function') return new VideoFrame(video);
  return createImageBitmap(video);
}

/**
 * A second handle on a frame, to draw once the first has been transferred to a worker: a
 * VideoFrame's clone shares its pixels (no copy); an ImageBitmap is copied.
 */
function displayCopy(bitmap) {
  return typeof bitmap.clone === 'function' ? bitmap.clone() : createImageBitmap(bitmap);
}

/** A live camera and its newest-frame-wins loop into `segment`. */
export class Camera extends EventTarget {
  /**
   * @param {{ video: HTMLVideoElement, segment: (bitmap: ImageBitmap, mode: string, size: number) => Promise<object>,
   *           settings: () => { mode: string, size: number }, lanes?: () => number }} options
   *   segment takes ownership of the bitmap (engine.frame transfers it); lanes: how many frames
   *   it may be given at once (default one).
   */
  constructor({ video, segment, settings, lanes = () => 1 }) {
    super();
    this.video = video;
    this.segment = segment;
    this.settings = settings;
    this.lanes = lanes;
    /** When the newest frame shown was captured: an older frame's mask is late. */
    this.shownCapturedAt = -Infinity;
    this.state = 'off';
    this.stream = null;
    /** The last video track started (kept after stop so that a test can see it ended). */
    this.track = null;
    /** A mode that replaces the page's for a while (the camera's "Compare modes"). */
    this.modeOverride = null;
    this.session = 0;
    this.frameRequest = null;
    this.capturing = false;
    this.inFlight = 0;
    this.waiting = null;
    this.snapshotWanted = null;
    this.counters = Camera.freshCounters();
  }

  /** The loop's counters as a start sets them. */
  static freshCounters() {
    return { presented: 0, captured: 0, sent: 0, processed: 0, late: 0, dropped: 0, failed: 0, maxInFlight: 0, maxWaiting: 0 };
  }

  /** The loop's counters: { inFlight, waiting, presented (video frames), captured, sent, processed, late, dropped, failed, maxInFlight, maxWaiting }. */
  stats() {
    return { state: this.state, inFlight: this.inFlight, waiting: this.waiting ? 1 : 0, ...this.counters };
  }

  /**
   * Asks for the camera (`deviceId`: one from enumerateDevices, or null for the browser's
   * choice) and starts the loop; rejects with the getUserMedia error.
   */
  async start(deviceId = null) {
    if (this.state !== 'off') return;
    const session = ++this.session;
    this.#setState('starting');
    let stream;
    try {
      if (!navigator.mediaDevices?.getUserMedia) {
        throw Object.assign(new Error('navigator.mediaDevices.getUserMedia is missing'), { name: 'NoCameraApi' });
      }
      stream = await navigator.mediaDevices.getUserMedia({
        video: {
          width: { ideal: 640 },
          height: { ideal: 480 },
          frameRate: { ideal: 30 },
          ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
        },
        audio: false,
      });
    } catch (err) {
      if (session === this.session) this.#setState('off');
      throw err;
    }
    if (session !== this.session) {
      // Stopped (Stop, tab hidden) while the browser was asking: let the camera go at once.
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.stream = stream;
    this.track = stream.getVideoTracks()[0] ?? null;
    // Each start counts its own frames: "frames skipped" is about this run of the camera.
    this.counters = Camera.freshCounters();
    this.track?.addEventListener('ended', () => {
      if (session !== this.session || this.state === 'off') return;
      this.stop();
      this.dispatchEvent(new CustomEvent('ended', { detail: {} }));
    });
    this.video.srcObject = stream;
    this.video.muted = true;
    this.video.playsInline = true;
    try {
      await this.video.play();
    } catch (err) {
      if (session !== this.session) return;
      this.stop();
      throw err;
    }
    if (session !== this.session) return;
    this.#setState('live');
    this.#nextFrame(session);
  }

  /** Stops the stream (the camera is released) and the loop; a frame in flight is ignored. */
  stop() {
    this.session += 1;
    if (this.frameRequest != null) {
      if (this.video.cancelVideoFrameCallback) this.video.cancelVideoFrameCallback(this.frameRequest);
      else cancelAnimationFrame(this.frameRequest);
      this.frameRequest = null;
    }
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.pause();
    this.video.srcObject = null;
    this.waiting?.bitmap.close();
    this.waiting = null;
    this.snapshotWanted?.reject(new Error('the camera stopped'));
    this.snapshotWanted = null;
    if (this.state !== 'off') this.#setState('off');
  }

  /** Resolves { canvas, result }: the next frame sent, copied into a canvas, and its mask. */
  snapshot() {
    if (this.state !== 'live') return Promise.reject(new Error('the camera is not on'));
    this.snapshotWanted?.reject(new Error('a newer snapshot was asked for'));
    return new Promise((resolve, reject) => {
      this.snapshotWanted = { resolve, reject };
    });
  }

  #setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state } }));
  }

  #nextFrame(session) {
    const onFrame = () => {
      this.frameRequest = null;
      this.counters.presented += 1;
      if (session !== this.session) return;
      this.#nextFrame(session);
      this.#capture(session);
    };
    this.frameRequest = this.video.requestVideoFrameCallback
      ? this.video.requestVideoFrameCallback(onFrame)
      : requestAnimationFrame(onFrame);
  }

  async #capture(session) {
    if (this.capturing || this.video.readyState < 2) return;
    this.capturing = true;
    let bitmap;
    try {
      bitmap = await grabFrame(this.video);
    } catch {
      return;
    } finally {
      this.capturing = false;
    }
    if (session !== this.session) {
      bitmap.close();
      return;
    }
    this.counters.captured += 1;
    const frame = { bitmap, capturedAt: performance.now(), session };
    if (this.inFlight < this.lanes()) {
      this.#send(frame);
      return;
    }
    if (this.waiting) {
      this.waiting.bitmap.close();
      this.counters.dropped += 1;
    }
    this.waiting = frame;
    this.counters.maxWaiting = Math.max(this.counters.maxWaiting, 1);
  }

  async #send(frame) {
    this.inFlight += 1;
    this.counters.sent += 1;
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.inFlight);
    const { size } = this.settings();
    const mode = this.modeOverride ?? this.settings().mode;
    const snapshot = this.snapshotWanted;
    this.snapshotWanted = null;
    let canvas = null;
    if (snapshot) {
      // The one copy of a frame the loop makes, and only for a snapshot: before the bitmap goes.
      canvas = document.createElement('canvas');
      canvas.width = frame.bitmap.displayWidth ?? frame.bitmap.width;
      canvas.height = frame.bitmap.displayHeight ?? frame.bitmap.height;
      canvas.getContext('2d').drawImage(frame.bitmap, 0, 0);
    }
    // Without a copy (the browser refused one) the mask is drawn over the live video instead.
    const picture = await Promise.resolve()
      .then(() => displayCopy(frame.bitmap))
      .catch(() => null);
    let result = null;
    let error = null;
    try {
      result = await this.segment(frame.bitmap, mode, size);
    } catch (err) {
      error = err;
    }
    // The waiting frame goes first, so the worker computes while the page draws this mask.
    this.inFlight -= 1;
    if (this.waiting && this.inFlight < this.lanes()) {
      const next = this.waiting;
      this.waiting = null;
      if (next.session === this.session) this.#send(next);
      else next.bitmap.close();
    }
    if (error) {
      picture?.close();
      if (frame.session === this.session) {
        this.counters.failed += 1;
        this.dispatchEvent(new CustomEvent('frame-error', { detail: { error } }));
      }
      snapshot?.reject(error);
      return;
    }
    if (frame.session === this.session && frame.capturedAt < this.shownCapturedAt) {
      this.counters.late += 1;
      picture?.close();
    } else if (frame.session === this.session) {
      this.counters.processed += 1;
      this.shownCapturedAt = frame.capturedAt;
      const latencyMs = performance.now() - frame.capturedAt;
      this.dispatchEvent(new CustomEvent('result', { detail: { result, latencyMs, picture } }));
    } else {
      picture?.close();
    }
    snapshot?.resolve({ canvas, result });
  }
}
