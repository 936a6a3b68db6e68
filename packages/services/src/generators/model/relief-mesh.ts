/**
 * A closed relief solid from a height grid and a mask: the front surface follows the
 * heights, the back is flat, and walls close every boundary edge, so the mesh is watertight
 * (every edge shared by two faces with opposite directions). Axes follow glTF 2.0 §3.4: +Y up,
 * the front faces +Z, units are metres; the longest side is `size` long.
 *
 * @module
 */

export interface ReliefMesh {
  positions: Float32Array;
  normals: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  min: [number, number, number];
  max: [number, number, number];
}

export interface ReliefOptions {
  /** Length of the longest side, metres. Default 1. */
  size?: number;
  /** Thickness everywhere (the flat part), as a fraction of `size`. Default 0.04. */
  base?: number;
  /** Extra height for white over black, as a fraction of `size`. Default 0.08. */
  depth?: number;
}

/**
 * Builds the solid. `heights` holds one value per cell in 0…1 (e.g. smoothed luminance),
 * `mask` marks the cells that exist.
 *
 * @example
 * ```ts
 * const mesh = reliefMesh(new Float32Array([0, 1, 1, 0]), new Uint8Array([1, 1, 1, 1]), 2, 2);
 * mesh.max[2]; // 0.12: base 0.04 + depth 0.08 under the white cells
 * ```
 */
export function reliefMesh(
  heights: Float32Array,
  mask: Uint8Array,
  width: number,
  height: number,
  options: ReliefOptions = {},
): ReliefMesh {
  const size = options.size ?? 1;
  const cell = size / Math.max(width, height);
  const base = (options.base ?? 0.04) * size;
  const depth = (options.depth ?? 0.08) * size;
  const inside = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] === 1;

  // Corner heights: the mean of the heights of the cells around each grid corner.
  const cw = width + 1;
  const ch = height + 1;
  const cornerZ = new Float32Array(cw * ch);
  const cornerUsed = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let sum = 0;
      let count = 0;
      for (const [dx, dy] of [
        [-1, -1],
        [0, -1],
        [-1, 0],
        [0, 0],
      ] as const) {
        if (inside(x + dx, y + dy)) {
          sum += heights[(y + dy) * width + x + dx] ?? 0;
          count++;
        }
      }
      if (count) {
        cornerZ[y * cw + x] = base + depth * (sum / count);
        cornerUsed[y * cw + x] = 1;
      }
    }
  }
  const X = (x: number) => (x - width / 2) * cell;
  const Y = (y: number) => (height / 2 - y) * cell;

  const pos: number[] = [];
  const nor: number[] = [];
  const uv: number[] = [];
  const idx: number[] = [];
  const vertex = (
    px: number,
    py: number,
    pz: number,
    nx: number,
    ny: number,
    nz: number,
    u: number,
    v: number,
  ) => {
    pos.push(px, py, pz);
    const len = Math.hypot(nx, ny, nz) || 1;
    nor.push(nx / len, ny / len, nz / len);
    uv.push(u, v);
    return pos.length / 3 - 1;
  };

  // Front and back share the corner grid; each used corner gets one front and one back vertex.
  const front = new Int32Array(cw * ch).fill(-1);
  const back = new Int32Array(cw * ch).fill(-1);
  const z = (x: number, y: number) => (cornerUsed[y * cw + x] ? (cornerZ[y * cw + x] ?? base) : Number.NaN);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = y * cw + x;
      if (!cornerUsed[i]) continue;
      // Surface normal of z = f(X, Y) is (−∂f/∂X, −∂f/∂Y, 1); Y grows upwards while y grows down.
      const here = z(x, y);
      const l = z(x - 1, y);
      const r = z(x + 1, y);
      const u = z(x, y - 1);
      const d = z(x, y + 1);
      const dzdx = (Number.isNaN(r) ? here : r) - (Number.isNaN(l) ? here : l);
      const spanX = (Number.isNaN(r) ? 0 : 1) + (Number.isNaN(l) ? 0 : 1) || 1;
      const dzdy = (Number.isNaN(u) ? here : u) - (Number.isNaN(d) ? here : d);
      const spanY = (Number.isNaN(u) ? 0 : 1) + (Number.isNaN(d) ? 0 : 1) || 1;
      front[i] = vertex(
        X(x),
        Y(y),
        here,
        -dzdx / (spanX * cell),
        -dzdy / (spanY * cell),
        1,
        x / width,
        y / height,
      );
      back[i] = vertex(X(x), Y(y), 0, 0, 0, -1, x / width, y / height);
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!inside(x, y)) continue;
      const c00 = y * cw + x;
      const c10 = c00 + 1;
      const c01 = c00 + cw;
      const c11 = c01 + 1;
      const f = (c: number) => front[c] ?? 0;
      const b = (c: number) => back[c] ?? 0;
      // Counter-clockwise seen from +Z (glTF §3.7.2.1 front faces), clockwise for the back.
      idx.push(f(c00), f(c01), f(c11), f(c00), f(c11), f(c10));
      idx.push(b(c00), b(c11), b(c01), b(c00), b(c10), b(c11));
      // Walls on every side that borders empty space, facing outwards with flat normals.
      const sides = [
        [0, -1, c00, c10],
        [1, 0, c10, c11],
        [0, 1, c11, c01],
        [-1, 0, c01, c00],
      ] as const;
      for (const [dx, dy, a, bEnd] of sides) {
        if (inside(x + dx, y + dy)) continue;
        const ax = a % cw;
        const ay = (a - ax) / cw;
        const bx = bEnd % cw;
        const by = (bEnd - bx) / cw;
        const nx = dx;
        const ny = -dy;
        const ua = ax / width;
        const va = ay / height;
        const ub = bx / width;
        const vb = by / height;
        const aTop = vertex(X(ax), Y(ay), cornerZ[a] ?? base, nx, ny, 0, ua, va);
        const bTop = vertex(X(bx), Y(by), cornerZ[bEnd] ?? base, nx, ny, 0, ub, vb);
        const aBot = vertex(X(ax), Y(ay), 0, nx, ny, 0, ua, va);
        const bBot = vertex(X(bx), Y(by), 0, nx, ny, 0, ub, vb);
        // a → b runs clockwise round the cell seen from +Z; these two triangles face outwards
        // and run the top edge a → b, opposite to the front face's b → a.
        idx.push(aBot, bTop, bBot, aBot, aTop, bTop);
      }
    }
  }

  const positions = new Float32Array(pos);
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = positions[i + k] ?? 0;
      if (v < min[k]!) min[k] = v;
      if (v > max[k]!) max[k] = v;
    }
  }
  return {
    positions,
    normals: new Float32Array(nor),
    uvs: new Float32Array(uv),
    indices: new Uint32Array(idx),
    min,
    max,
  };
}
