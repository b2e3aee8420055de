// Writes the page's sample photo and its true mask into www/samples/ from the quality data set
// (`bash scripts/make-dataset.sh` makes it): held-out composite-07 of models/composites.json,
// Grace Hopper (public domain) pasted on the cat Chelsea (CC0); its true mask is the pasted alpha.
// The photo is stored as a JPEG (quality 90) to stay small; JPEG changes no pixel's person-ness.
//
//   node scripts/make-sample.mjs [DATA_SET_FOLDER]   (default ~/.cache/linseg/heldout)

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const ROOT = new URL('..', import.meta.url).pathname;
const SOURCE = 'composite-07';
const NAME = 'grace-hopper-on-chelsea';
const folder = process.argv[2] ?? join(process.env.LINSEG_CACHE ?? join(homedir(), '.cache/linseg'), 'heldout');

const png = PNG.sync.read(readFileSync(join(folder, `${SOURCE}.png`)));
const photo = jpeg.encode({ data: png.data, width: png.width, height: png.height }, 90);
writeFileSync(join(ROOT, 'www/samples', `${NAME}.jpg`), photo.data);
copyFileSync(join(folder, `${SOURCE}.truth.png`), join(ROOT, 'www/samples', `${NAME}.mask.png`));
console.log(`www/samples/${NAME}.jpg (${png.width}×${png.height}, ${photo.data.length} bytes) and ${NAME}.mask.png`);
