// Photos in the browser: decoding as displayed (EXIF orientation applied, which is the frame the API's boxes use),
// thumbnails with boxes drawn, and an editor to draw person boxes in the image's own pixels at any display size.
import { h, field } from './dom.js';

/** An image as displayed: width and height after EXIF orientation. */
export async function decode(blob) {
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (e) {
    // a browser without that option: an <img> applies EXIF orientation itself (CSS image-orientation: from-image)
    const url = URL.createObjectURL(blob);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return await createImageBitmap(img);
    } catch (ignored) {
      throw new Error('this file is not an image the browser can decode (JPEG or PNG expected)');
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

/** Draws the bitmap scaled into the canvas (letterboxed) with the boxes (image pixels) outlined. */
export function drawThumbnail(canvas, bitmap, boxes = []) {
  const ctx = canvas.getContext('2d');
  const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
  const w = bitmap.width * scale, hgt = bitmap.height * scale;
  const ox = (canvas.width - w) / 2, oy = (canvas.height - hgt) / 2;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(bitmap, ox, oy, w, hgt);
  ctx.lineWidth = 2;
  ctx.strokeStyle = '#f0b400';
  for (const b of boxes) {
    ctx.strokeRect(ox + b.x1 * scale, oy + b.y1 * scale, (b.x2 - b.x1) * scale, (b.y2 - b.y1) * scale);
  }
}

/** A thumbnail canvas of a blob with its boxes; {@code label} is its accessible name. */
export async function thumbnail(blob, boxes, label) {
  const canvas = h('canvas', { width: 170, height: 128, role: 'img', 'aria-label': label });
  drawThumbnail(canvas, await decode(blob), boxes);
  return canvas;
}

const COLORS = ['#f0b400', '#0b5cad', '#b3261e', '#1a7f37', '#8250df', '#bc4c00'];

/**
 * Draw person boxes on a photo: drag on the picture to draw one, or type its corners (image pixels, as displayed).
 * {@code multiple}: several boxes (Try it), else one (a support). {@code onChange} gets the boxes after each edit.
 */
export class BoxEditor {
  constructor(bitmap, { multiple = false, maxBoxes = 64, onChange = () => {} } = {}) {
    this.bitmap = bitmap;
    this.multiple = multiple;
    this.maxBoxes = maxBoxes;
    this.onChange = onChange;
    this.boxes = [];
    const maxWidth = Math.min(900, window.innerWidth - 60);
    const maxHeight = Math.max(240, Math.min(640, window.innerHeight - 160));  // the whole photo fits the window
    this.scale = Math.min(1, maxWidth / bitmap.width, maxHeight / bitmap.height);
    this.canvas = h('canvas', {
      width: Math.max(1, Math.round(bitmap.width * this.scale)), height: Math.max(1, Math.round(bitmap.height * this.scale)),
      tabindex: 0, role: 'img',
      'aria-label': `photo of ${bitmap.width} by ${bitmap.height} pixels: drag to draw a person box, or type its corners below`,
    });
    this.list = h('div', { class: 'boxes' });
    this.size = h('p', { class: 'muted' }, `Image ${bitmap.width} × ${bitmap.height} pixels (as displayed, EXIF orientation applied).`);
    const addButton = h('button', { type: 'button', class: 'secondary', onclick: () => this.add(this.defaultBox()) },
      multiple ? 'Add a box' : 'Box the whole image');
    this.element = h('div', { class: 'editor' }, this.size, this.canvas, h('div', { class: 'row' }, addButton), this.list);
    this.listen();
    this.render();
  }

  defaultBox() {
    const w = this.bitmap.width, hgt = this.bitmap.height;
    return this.multiple ? { x1: Math.round(w / 4), y1: Math.round(hgt / 4), x2: Math.round(3 * w / 4), y2: Math.round(3 * hgt / 4) }
      : { x1: 0, y1: 0, x2: w, y2: hgt };
  }

  add(box) {
    if (!this.multiple) this.boxes = [];
    if (this.boxes.length >= this.maxBoxes) return;
    this.boxes.push(this.clamp(box));
    this.changed();
  }

  clamp(b) {
    const r = (v, max) => Math.max(0, Math.min(max, Math.round(v)));
    const x1 = r(Math.min(b.x1, b.x2), this.bitmap.width), x2 = r(Math.max(b.x1, b.x2), this.bitmap.width);
    const y1 = r(Math.min(b.y1, b.y2), this.bitmap.height), y2 = r(Math.max(b.y1, b.y2), this.bitmap.height);
    return { x1, y1, x2, y2 };
  }

  toImage(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: (event.clientX - rect.left) * (this.bitmap.width / rect.width),
      y: (event.clientY - rect.top) * (this.bitmap.height / rect.height),
    };
  }

  listen() {
    let start = null;
    this.canvas.addEventListener('pointerdown', e => {
      start = this.toImage(e);
      this.canvas.setPointerCapture(e.pointerId);
      this.drawing = { x1: start.x, y1: start.y, x2: start.x, y2: start.y };
    });
    this.canvas.addEventListener('pointermove', e => {
      if (!start) return;
      const p = this.toImage(e);
      this.drawing = { x1: start.x, y1: start.y, x2: p.x, y2: p.y };
      this.draw();
    });
    const end = e => {
      if (!start) return;
      const p = this.toImage(e);
      const box = this.clamp({ x1: start.x, y1: start.y, x2: p.x, y2: p.y });
      start = null;
      this.drawing = null;
      if (box.x2 - box.x1 >= 2 && box.y2 - box.y1 >= 2) this.add(box); else this.draw();
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', () => { start = null; this.drawing = null; this.draw(); });
  }

  changed() {
    this.render();
    this.onChange(this.boxes);
  }

  render() {
    this.draw();
    const rows = this.boxes.map((b, i) => {
      const input = (name) => h('input', {
        type: 'number', min: 0, max: name.startsWith('x') ? this.bitmap.width : this.bitmap.height, step: 1, value: b[name],
        onchange: e => { b[name] = Number(e.target.value); this.boxes[i] = this.clamp(b); this.changed(); },
      });
      return h('fieldset', {}, h('legend', {}, this.multiple ? `Box ${i + 1}` : 'Person box'),
        field('x1', input('x1')), field('y1', input('y1')), field('x2', input('x2')), field('y2', input('y2')),
        h('button', { type: 'button', class: 'secondary', onclick: () => { this.boxes.splice(i, 1); this.changed(); } },
          this.multiple ? `Remove box ${i + 1}` : 'Remove box'));
    });
    this.list.replaceChildren(...rows);
  }

  draw() {
    const ctx = this.canvas.getContext('2d');
    ctx.drawImage(this.bitmap, 0, 0, this.canvas.width, this.canvas.height);
    ctx.lineWidth = 2;
    const s = this.canvas.width / this.bitmap.width;
    this.boxes.forEach((b, i) => {
      ctx.strokeStyle = COLORS[i % COLORS.length];
      ctx.strokeRect(b.x1 * s, b.y1 * s, (b.x2 - b.x1) * s, (b.y2 - b.y1) * s);
      ctx.fillStyle = COLORS[i % COLORS.length];
      ctx.fillText(String(i + 1), b.x1 * s + 4, b.y1 * s + 12);
    });
    if (this.drawing) {
      const b = this.drawing;
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = '#ffffff';
      ctx.strokeRect(b.x1 * s, b.y1 * s, (b.x2 - b.x1) * s, (b.y2 - b.y1) * s);
      ctx.setLineDash([]);
    }
  }
}

/**
 * A photo picker: a labelled file input and a drop zone. {@code onPhoto} gets the chosen file and its decoded bitmap
 * once it passes the size limit the API states and decodes; {@code onError} gets what went wrong.
 */
export function photoPicker(label, maxBytes, onPhoto, onError) {
  return filePicker(label, maxBytes, async file => {
    let bitmap;
    try {
      bitmap = await decode(file);
    } catch (error) {
      onError(error.message);
      return;
    }
    onPhoto(file, bitmap);
  }, onError);
}

function filePicker(label, maxBytes, onFile, onError) {
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png' });
  const accept = (file) => {
    if (!file) return;
    if (maxBytes && file.size > maxBytes) {
      onError(`${file.name} is ${file.size} bytes, above the registry's limit of ${maxBytes} bytes`);
      return;
    }
    onFile(file);
  };
  input.addEventListener('change', () => accept(input.files[0]));
  const zone = h('div', { class: 'drop' }, field(label, input), h('p', { class: 'muted' }, 'or drop a JPEG or PNG photo here'));
  zone.addEventListener('dragover', e => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', e => { e.preventDefault(); zone.classList.remove('over'); accept(e.dataTransfer.files[0]); });
  return zone;
}
