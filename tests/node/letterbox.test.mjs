// bench/letterbox.mjs feeds TF.js the input linseg feeds its own network in the pass at the
// benchmark's size; its geometry must be src/refine.rs's `Plan::new(..).detail`. The cases and
// their values are the Rust tests' (`refine::tests`, `preprocess::tests`).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { letterbox } from '../../bench/letterbox.mjs';

test('up to the trained size the photo is stretched to a square, as Plan::new does', () => {
  assert.deepEqual(letterbox(600, 400, 256), { photo: [600, 400], scaled: [256, 256], input: [256, 256] });
  assert.deepEqual(letterbox(512, 600, 256).input, [256, 256]);
  assert.deepEqual(letterbox(600, 400, 100), { photo: [600, 400], scaled: [100, 100], input: [112, 112] });
});

test('above it the photo keeps its shape, its longer side the size, padded to the stride', () => {
  assert.deepEqual(letterbox(600, 400, 1024), { photo: [600, 400], scaled: [1024, 683], input: [1024, 688] });
  assert.deepEqual(letterbox(480, 640, 1024), { photo: [480, 640], scaled: [768, 1024], input: [768, 1024] });
});
