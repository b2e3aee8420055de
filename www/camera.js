// The camera's stream and its frame loop. Owns the MediaStream (started only by start(), ended
// by stop() or by the track ending), the hidden <video> it plays in, the track's frame reader,
// and the newest-frame-wins loop: each new camera frame is a VideoFrame (an ImageBitmap where
// there are none) that is transferred to a worker, with at most one frame in flight per worker
// (`lanes`: one, or the frame pool's workers on the CPU) and one waiting (a newer frame replaces
// the waiting one, which is closed and counted as dropped), never a queue. With several lanes a
// mask may come back after a newer frame's: it is counted as late and not shown. Each frame sent
// leaves a copy (`picture`) that comes back with its mask, so that the mask is drawn over the
// frame it was computed from, not over a newer one (under motion it would lag behind the person
// by the latency). It draws nothing; camera-panel.js wires it to the page.
//
// Where the browser has MediaStreamTrackProcessor, frames are read from the track itself: they
// stay in the memory the camera wrote them to, and a worker reads their pixels in a few
// milliseconds. The <video>'s current frame, the other way, lives where the video is drawn:
// reading its pixels back took 60 ms a 640×480 frame in headless Chromium, more than the
// network at 256 px. The <video> still plays (the view shows it until the first mask).
// Owns: the MediaStream, its hidden <video>, the track's reader and the frame loop. Must not
// touch: any other page element or the workers (frames go through the `segment` function it was
// given).
//
// Events: 'state' { state }            off | starting | live
//         'result' { result, latencyMs, picture, times }
//                                      a frame's mask (engine.frame's answer) and the frame it
//                                      was computed from (a VideoFrame or ImageBitmap the
//                                      listener owns and must close); latency from the
//                                      frame's capture to the mask's arrival; times
//                                      { waitedMs, roundTripMs }: captured to sent to a
//                                      worker, sent to answered
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
 * A copy of a frame, to draw once the frame itself has been transferred to a worker: a VideoFrame
 * whose pixels the page can read (a camera's, in memory) is copied into one of the page's own
 * (half a millisecond for 640×480), anything else into an ImageBitmap. Not a clone: a clone holds
 * the camera's own buffer until the mask is drawn, and a camera has few of them: holding one per
 * frame in flight slowed Chromium's fake camera from 23 to 15 frames a second.
 */
async function displayCopy(frame) {
  if (typeof VideoFrame === 'function' && frame instanceof VideoFrame && frame.format) {
    const data = new Uint8Array(frame.allocationSize());
    const layout = await frame.copyTo(data);
    const { width, height } = frame.visibleRect;
    return new VideoFrame(data, {
      format: frame.format,
      codedWidth: width,
      codedHeight: height,
      displayWidth: frame.displayWidth,
      displayHeight: frame.displayHeight,
      timestamp: frame.timestamp,
      colorSpace: frame.colorSpace,
      layout,
    });
  }
  return createImageBitmap(frame);
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
    /** The track's frame reader (MediaStreamTrackProcessor), or null where frames come from the <video>. */
    this.reader = null;
    /** The setting the newest frame was sent at ("mode@size") and when the first frame at it was sent. */
    this.sending = { key: null, since: 0 };
    this.capturing = false;
    this.inFlight = 0;
    this.waiting = null;
    this.snapshotWanted = null;
    this.counters = Camera.freshCounters();
  }

  /** The mode and size the next frame is sent at: the page's, the comparison's mode over it. */
  setting() {
    const { mode, size } = this.settings();
    return { mode: this.modeOverride ?? mode, size };
  }

  /** The loop's counters as a start sets them. */
  static freshCounters() {
    return { presented: 0, captured: 0, sent: 0, processed: 0, late: 0, dropped: 0, failed: 0, maxInFlight: 0, maxWaiting: 0 };
  }

  /**
   * The loop's counters: { source ('track' | 'video': where frames are read), inFlight, waiting,
   * presented (camera frames), captured, sent, processed, late, dropped, failed, maxInFlight,
   * maxWaiting }.
   */
  stats() {
    const source = this.state === 'off' ? null : this.reader ? 'track' : 'video';
    return { state: this.state, source, inFlight: this.inFlight, waiting: this.waiting ? 1 : 0, ...this.counters };
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
    this.sending = { key: null, since: 0 };
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
    if (typeof MediaStreamTrackProcessor === 'function' && this.track) {
      this.reader = new MediaStreamTrackProcessor({ track: this.track, maxBufferSize: 1 }).readable.getReader();
      this.#readFrames(session, this.reader);
    } else {
      this.#nextFrame(session);
    }
  }

  /** Stops the stream (the camera is released) and the loop; a frame in flight is ignored. */
  stop() {
    this.session += 1;
    if (this.frameRequest != null) {
      if (this.video.cancelVideoFrameCallback) this.video.cancelVideoFrameCallback(this.frameRequest);
      else cancelAnimationFrame(this.frameRequest);
      this.frameRequest = null;
    }
    // Not cancelled: a cancel would drop the frames it holds unclosed. The track's end ends the
    // reader, and its loop closes what is left.
    this.reader = null;
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

  /**
   * Takes every frame the track gives (the reader keeps at most one unread), newest first, until
   * the track ends; frames that come after a stop are closed.
   */
  async #readFrames(session, reader) {
    for (;;) {
      let next;
      try {
        next = await reader.read();
      } catch {
        return;
      }
      if (next.done) return;
      if (session !== this.session) {
        next.value.close();
        continue;
      }
      this.counters.presented += 1;
      this.#take({ bitmap: next.value, capturedAt: performance.now(), session });
    }
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
    this.#take({ bitmap, capturedAt: performance.now(), session });
  }

  /** A new frame: sent at once where a worker is free, else it replaces the waiting one. */
  #take(frame) {
    this.counters.captured += 1;
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
    const { mode, size } = this.setting();
    if (this.sending.key !== `${mode}@${size}`) this.sending = { key: `${mode}@${size}`, since: performance.now() };
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
    const picture = await displayCopy(frame.bitmap).catch(() => null);
    let result = null;
    let error = null;
    const sentAt = performance.now();
    try {
      result = await this.segment(frame.bitmap, mode, size);
    } catch (err) {
      error = err;
    }
    const answeredAt = performance.now();
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
      // A frame stopped on purpose (its worker replaced: see FramePool.supersede) did not fail.
      if (frame.session === this.session && error.kind !== 'cancelled') {
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
      const latencyMs = answeredAt - frame.capturedAt;
      const times = { waitedMs: sentAt - frame.capturedAt, roundTripMs: answeredAt - sentAt };
      this.dispatchEvent(new CustomEvent('result', { detail: { result, latencyMs, picture, times } }));
    } else {
      picture?.close();
    }
    snapshot?.resolve({ canvas, result });
  }
}
