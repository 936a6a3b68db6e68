/**
 * Which cells of the image grid belong to the object: its alpha channel when it has one,
 * otherwise everything not connected to a plain background estimated from the border.
 *
 * @module
 */

export interface Cutout {
  /** 1 = part of the model, row-major, `width × height`. */
  mask: Uint8Array;
  method: 'alpha' | 'background' | 'none';
  /** The estimated background colour (method `background`). */
  background?: [number, number, number];
}

const dist2 = (p: Uint8Array, i: number, c: readonly number[]) => {
  const dr = (p[i] ?? 0) - (c[0] ?? 0);
  const dg = (p[i + 1] ?? 0) - (c[1] ?? 0);
  const db = (p[i + 2] ?? 0) - (c[2] ?? 0);
  return dr * dr + dg * dg + db * db;
};

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1] ?? 0;
}

/**
 * The object mask of an RGBA grid. With `hasAlpha`, cells at least half opaque; otherwise,
 * when most of the border shares one colour, a flood fill from the border removes that
 * background (so an inner region of the same colour stays). A mask of almost nothing or
 * almost everything falls back to the whole rectangle.
 */
export function cutout(rgba: Uint8Array, width: number, height: number, hasAlpha: boolean): Cutout {
  const n = width * height;
  let mask = new Uint8Array(n);
  let method: Cutout['method'] = 'none';
  let background: [number, number, number] | undefined;
  if (hasAlpha) {
    let transparent = 0;
    for (let i = 0; i < n; i++) {
      mask[i] = (rgba[i * 4 + 3] ?? 0) >= 128 ? 1 : 0;
      if (!mask[i]) transparent++;
    }
    method = transparent > 0 ? 'alpha' : 'none';
  }
  if (method === 'none') {
    const border: number[] = [];
    for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
    for (let y = 1; y < height - 1; y++) border.push(y * width, y * width + width - 1);
    const bg: [number, number, number] = [0, 1, 2].map((c) =>
      median(border.map((i) => rgba[i * 4 + c] ?? 0)),
    ) as [number, number, number];
    const near = 40 * 40;
    const plain = border.filter((i) => dist2(rgba, i * 4, bg) < near).length / Math.max(1, border.length);
    mask.fill(1);
    if (plain >= 0.6) {
      // Flood fill (4-connected) from background-coloured border cells; explicit stack, O(n).
      const reach = 56 * 56;
      const stack: number[] = [];
      for (const i of border) {
        if (mask[i] && dist2(rgba, i * 4, bg) < reach) {
          mask[i] = 0;
          stack.push(i);
        }
      }
      while (stack.length) {
        const i = stack.pop() as number;
        const x = i % width;
        const y = (i - x) / width;
        const visit = (j: number) => {
          if (mask[j] && dist2(rgba, j * 4, bg) < reach) {
            mask[j] = 0;
            stack.push(j);
          }
        };
        if (x > 0) visit(i - 1);
        if (x < width - 1) visit(i + 1);
        if (y > 0) visit(i - width);
        if (y < height - 1) visit(i + width);
      }
      method = 'background';
      background = bg;
    }
  }
  mask = clean(mask, width, height);
  const kept = mask.reduce((a, b) => a + b, 0);
  if (kept < n * 0.02 || (method !== 'alpha' && kept > n * 0.98)) {
    mask.fill(1);
    return { mask, method: 'none' };
  }
  return background ? { mask, method, background } : { mask, method };
}

/**
 * Drops isolated cells, fills one-cell holes, and removes diagonal-only contacts (two cells
 * touching at a corner), so every edge of the resulting solid is shared by exactly two faces.
 */
function clean<T extends Uint8Array>(mask: T, width: number, height: number): T {
  const at = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height ? (mask[y * width + x] ?? 0) : 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const around = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1);
      if (at(x, y) && around === 0) mask[y * width + x] = 0;
      else if (!at(x, y) && around === 4) mask[y * width + x] = 1;
    }
  }
  // Each pass only turns cells on, so this ends after at most width × height changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (let y = 0; y + 1 < height; y++) {
      for (let x = 0; x + 1 < width; x++) {
        const a = at(x, y);
        const b = at(x + 1, y);
        const c = at(x, y + 1);
        const d = at(x + 1, y + 1);
        if (a && d && !b && !c) {
          mask[y * width + x + 1] = 1;
          changed = true;
        } else if (b && c && !a && !d) {
          mask[y * width + x] = 1;
          changed = true;
        }
      }
    }
  }
  return mask;
}
