// www/download.js: a counted response gives the same bytes and reports them as they come;
// a compressed response's Content-Length is not taken for the size of its body.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { countedResponse, knownSize } from '../../www/download.js';

function chunked(chunks, headers) {
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Response(body, { headers });
}

test('a counted response keeps its bytes, headers and reports the last count', async () => {
  const chunks = [new Uint8Array(1000).fill(1), new Uint8Array(500).fill(2), new Uint8Array(24).fill(3)];
  const reports = [];
  const counted = countedResponse(
    chunked(chunks, { 'Content-Type': 'application/wasm', 'Content-Length': '1524' }),
    (loaded, total) => reports.push([loaded, total]),
  );
  assert.equal(counted.headers.get('Content-Type'), 'application/wasm');
  const bytes = new Uint8Array(await counted.arrayBuffer());
  assert.equal(bytes.length, 1524);
  assert.equal(bytes[1000], 2);
  assert.deepEqual(reports.at(-1), [1524, 1524]);
  assert.deepEqual(reports[0], [1000, 1524], 'the first chunk is reported at once');
});

test('the size is unknown when the body was compressed on the way or has no length', () => {
  assert.equal(knownSize(new Response('x', { headers: { 'Content-Length': '2500000', 'Content-Encoding': 'br' } })), null);
  const decoded = { 'Content-Length': '2500000', 'Content-Encoding': 'br', 'X-Decoded-Length': '15381203' };
  assert.equal(knownSize(new Response('x', { headers: decoded })), 15381203, 'the decoded size the server states');
  assert.equal(knownSize(new Response('x')), null);
  assert.equal(knownSize(new Response('x', { headers: { 'Content-Length': '15381203' } })), 15381203);
});
