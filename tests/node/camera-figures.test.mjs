// Unit tests of the camera's figure line and its warning (www/camera-stats.js describeCamera):
// counts in the singular and plural, a setting with no mask yet named as the one waited for,
// a warning that says a setting is too slow for live video and what keeps up, and one that says
// when the camera's frames are scaled up. Run with `node --test tests/node/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { LIVE_FIRST_MASK_MS, describeCamera, keepsUp, plural } from '../../www/camera-stats.js';

/** Figures of a live camera at linear 256 px, 640×480 frames, keeping up; `over` replaces fields. */
function live(over = {}) {
  return {
    state: 'live',
    mode: 'linear',
    size: 256,
    where: 'the CPU (2 workers, a frame each)',
    summary: { fps: 24.2, medianMs: 80, p95Ms: 110, frames: 40 },
    sinceMs: 5000,
    processed: 40,
    dropped: 0,
    frameWidth: 640,
    frameHeight: 480,
    keptUp: null,
    ...over,
  };
}

test('counts agree with their nouns', () => {
  assert.equal(plural(1, 'frame'), '1 frame');
  assert.equal(plural(0, 'frame'), '0 frames');
  assert.equal(plural(1191, 'frame'), '1,191 frames');
  assert.match(describeCamera(live({ dropped: 1 })).text, / · 1 frame skipped$/);
  assert.match(describeCamera(live({ dropped: 2 })).text, / · 2 frames skipped$/);
  assert.equal(describeCamera(live({ state: 'off', processed: 1 })).text, 'Stopped after 1 frame.');
  assert.equal(describeCamera(live({ state: 'off', processed: 0 })).text, 'The camera is off.');
});

test('a setting that keeps up reads as before, with no warning', () => {
  const { text, warning } = describeCamera(live());
  assert.equal(text, '24.2 fps · latency 80 ms median, 110 ms p95 · linear at 256 px on the CPU (2 workers, a frame each) · 0 frames skipped');
  assert.equal(warning, null);
});

test('a setting with no mask yet is named as the one waited for', () => {
  const { text, warning } = describeCamera(live({ mode: 'dot', size: 512, summary: { fps: null, medianMs: null, p95Ms: null, frames: 0 }, sinceMs: 100 }));
  assert.equal(text, 'dot at 512 px: waiting for the first mask…');
  assert.equal(warning, null);
});

test('a slow setting is said to be too slow, with what kept up here', () => {
  const { warning } = describeCamera(live({
    mode: 'dot',
    size: 1024,
    summary: { fps: 0.4, medianMs: 7900, p95Ms: 9100, frames: 4 },
    keptUp: { mode: 'linear', size: 256, fps: 24.2 },
  }));
  assert.match(warning, /^Too slow for live video: dot at 1024 px gives 0\.4 fps, each mask 7\.9 s behind the camera\. /);
  assert.match(warning, /A smaller size or a cheaper mode keeps up: linear at 256 px ran 24\.2 fps here\./);
});

test('a first mask that does not come is warned of too', () => {
  const { warning } = describeCamera(live({ summary: { fps: null, medianMs: null, p95Ms: null, frames: 0 }, sinceMs: LIVE_FIRST_MASK_MS + 500 }));
  assert.match(warning, /has given no mask in 2\.5 s\. A smaller size or a cheaper mode is faster\./);
});

test('a size above the frame says how much the frame is scaled up', () => {
  const { warning } = describeCamera(live({ size: 2048 }));
  assert.match(warning, /640×480 frames are scaled up 3\.2× to 2048 px/);
  assert.equal(describeCamera(live({ size: 512 })).warning, null);
});

test('a setting is judged only once it has a few masks', () => {
  assert.equal(keepsUp({ fps: 0.1, medianMs: 9000, frames: 2 }), null);
  assert.equal(keepsUp({ fps: 0.1, medianMs: 9000, frames: 3 }), false);
  assert.equal(keepsUp({ fps: 30, medianMs: 40, frames: 3 }), true);
});
