// The report's only script: the animation player. It decodes each animation's base64 uint8 frames, colours
// them with a 256-entry viridis table interpolated from colors.ts, draws all panels of a field side by side
// (integer magnification, no smoothing), and wires play/pause, frame steps and the slider. Plain browser
// JavaScript kept as text, so it is inlined verbatim in the HTML.
import { VIRIDIS } from './colors.js';

const FPS = 6;

export function playerScript(): string {
  return `(() => {
'use strict';
const stops = ${JSON.stringify(VIRIDIS)}.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
const lut = new Uint8ClampedArray(256 * 4);
for (let v = 0; v < 256; v++) {
  const u = (v / 255) * (stops.length - 1);
  const i = Math.min(Math.floor(u), stops.length - 2);
  const f = u - i;
  for (let c = 0; c < 3; c++) lut[4 * v + c] = Math.round(stops[i][c] * (1 - f) + stops[i + 1][c] * f);
  lut[4 * v + 3] = 255;
}
const decode = (b64) => {
  const s = atob(b64);
  const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
};
function setup(root) {
  const data = JSON.parse(document.getElementById(root.dataset.anim).textContent);
  const [H, W] = data.shape;
  const T = data.lead_times.length;
  const N = H * W;
  const tile = document.createElement('canvas');
  tile.width = W;
  tile.height = H;
  const tctx = tile.getContext('2d');
  const img = tctx.createImageData(W, H);
  const canvases = root.querySelectorAll('canvas[data-field]');
  const views = data.fields.map((f, i) => ({
    canvas: canvases[i],
    ctx: canvases[i].getContext('2d'),
    panels: f.panels.map((p) => ({ label: p.label, bytes: decode(p.data) })),
  }));
  const slider = root.querySelector('input[type=range]');
  const out = root.querySelector('output');
  const play = root.querySelector('[data-act=play]');
  let frame = 0;
  let timer = null;
  const leadText = (f) => 'lead time ' + data.lead_times[f] + (f === 0 || data.lead_times[f] <= 0 ? ' (context)' : '');
  function draw() {
    const px = img.data;
    const off = frame * N;
    for (const v of views) {
      const ctx = v.ctx;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, v.canvas.width, v.canvas.height);
      ctx.imageSmoothingEnabled = false;
      ctx.font = '12px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      v.panels.forEach((p, j) => {
        for (let k = 0; k < N; k++) {
          const q = p.bytes[off + k] * 4;
          px[4 * k] = lut[q];
          px[4 * k + 1] = lut[q + 1];
          px[4 * k + 2] = lut[q + 2];
          px[4 * k + 3] = 255;
        }
        tctx.putImageData(img, 0, 0);
        const x = j * (W * data.scale + data.gap);
        ctx.drawImage(tile, x, data.strip, W * data.scale, H * data.scale);
        ctx.fillStyle = '#222222';
        ctx.fillText(p.label, x + (W * data.scale) / 2, data.strip / 2);
      });
    }
    slider.value = String(frame);
    slider.setAttribute('aria-valuetext', leadText(frame));
    out.textContent = 'frame ' + (frame + 1) + ' of ' + T + ' · ' + leadText(frame);
    root.dataset.frame = String(frame);
  }
  const stop = () => {
    clearInterval(timer);
    timer = null;
    play.textContent = 'Play';
  };
  const start = () => {
    if (timer !== null) return;
    timer = setInterval(() => {
      frame = (frame + 1) % T;
      draw();
    }, ${Math.round(1000 / FPS)});
    play.textContent = 'Pause';
  };
  const go = (f) => {
    stop();
    frame = ((f % T) + T) % T;
    draw();
  };
  play.addEventListener('click', () => (timer === null ? start() : stop()));
  root.querySelector('[data-act=prev]').addEventListener('click', () => go(frame - 1));
  root.querySelector('[data-act=next]').addEventListener('click', () => go(frame + 1));
  slider.addEventListener('input', () => go(Number(slider.value)));
  draw();
}
for (const root of document.querySelectorAll('[data-anim]')) {
  try {
    setup(root);
  } catch (err) {
    root.querySelector('output').textContent = 'animation unavailable: ' + err.message;
    console.error(err);
  }
}
})();`;
}
