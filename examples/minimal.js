// The smallest page that embeds linseg: drop a photo, get it back with its background blurred.
import { Segmenter } from '../linseg.js';

const segmenter = await Segmenter.create({ mode: 'linear' });
const canvas = document.getElementById('out');
document.getElementById('note').textContent = `Drop a photo here (linseg on ${segmenter.backend}).`;

document.body.addEventListener('dragover', (event) => event.preventDefault());
document.body.addEventListener('drop', async (event) => {
  event.preventDefault();
  const photo = await createImageBitmap(event.dataTransfer.files[0]);
  const { mask, width, height } = await segmenter.segment(photo, { size: 512 });

  // The person, sharp: the photo with the mask as its alpha.
  const person = new OffscreenCanvas(width, height).getContext('2d');
  person.drawImage(photo, 0, 0);
  const pixels = person.getImageData(0, 0, width, height);
  for (let i = 0; i < mask.length; i++) pixels.data[4 * i + 3] = mask[i];
  person.putImageData(pixels, 0, 0);

  // The background, blurred, with the person drawn over it.
  Object.assign(canvas, { width, height });
  const view = canvas.getContext('2d');
  view.filter = 'blur(12px)';
  view.drawImage(photo, 0, 0);
  view.filter = 'none';
  view.drawImage(person.canvas, 0, 0);
});
