import { createRequire } from 'node:module';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  EmbeddedModelGenerator,
  GenerationError,
  type ModelRequest,
  sniffImage,
} from '../src/generators/index.js';

interface ValidationReport {
  issues: {
    numErrors: number;
    numWarnings: number;
    messages: { code: string; message: string; pointer?: string }[];
  };
  info: { resources?: { pointer: string; mimeType?: string; image?: { width: number; height: number } }[] };
}
// The Khronos glTF validator (Dart compiled to JS, CommonJS without types).
const validator = createRequire(import.meta.url)('gltf-validator') as {
  validateBytes(bytes: Uint8Array, options?: { maxIssues?: number }): Promise<ValidationReport>;
};

const model = new EmbeddedModelGenerator();

/** A red disc with a white square inside, on `background` (transparent when omitted). */
function badge(width: number, height: number, background?: string): Buffer {
  const r = Math.min(width, height) * 0.35;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      (background ? `<rect width="100%" height="100%" fill="${background}"/>` : '') +
      `<circle cx="${width / 2}" cy="${height / 2}" r="${r}" fill="#d22"/>` +
      `<rect x="${width / 2 - r / 3}" y="${height / 2 - r / 3}" width="${(2 * r) / 3}" height="${(2 * r) / 3}" fill="#fff"/></svg>`,
  );
}

const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** The JSON and BIN chunks of a GLB (glTF 2.0 §4.4). */
function parseGlb(glb: Uint8Array) {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  expect(view.getUint32(0, true)).toBe(0x46546c67);
  expect(view.getUint32(4, true)).toBe(2);
  expect(view.getUint32(8, true)).toBe(glb.length);
  const jsonLength = view.getUint32(12, true);
  // biome-ignore lint/suspicious/noExplicitAny: the glTF JSON is read loosely in tests
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as any;
  const binStart = 20 + jsonLength;
  const bin = glb.subarray(binStart + 8, binStart + 8 + view.getUint32(binStart, true));
  const accessor = (i: number) => {
    const a = json.accessors[i];
    const bv = json.bufferViews[a.bufferView];
    const size = { SCALAR: 1, VEC2: 2, VEC3: 3 }[a.type as 'SCALAR'] * a.count;
    const slice = bin.slice(bv.byteOffset, bv.byteOffset + bv.byteLength).buffer;
    if (a.componentType === 5126) return new Float32Array(slice, 0, size);
    if (a.componentType === 5125) return new Uint32Array(slice, 0, size);
    return new Uint16Array(slice, 0, size);
  };
  return { json, bin, accessor };
}

/** Watertightness: every edge (by position) is used once in each direction; volume is positive. */
function closedSolid(glb: Uint8Array) {
  const { json, accessor } = parseGlb(glb);
  const prim = json.meshes[0].primitives[0];
  const pos = accessor(prim.attributes.POSITION) as Float32Array;
  const idx = accessor(prim.indices);
  const key = (v: number) =>
    `${pos[v * 3]?.toFixed(5)},${pos[v * 3 + 1]?.toFixed(5)},${pos[v * 3 + 2]?.toFixed(5)}`;
  const edges = new Map<string, number>();
  let volume = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const tri = [idx[t], idx[t + 1], idx[t + 2]] as number[];
    const k = tri.map(key);
    for (let e = 0; e < 3; e++) {
      const edge = `${k[e]}|${k[(e + 1) % 3]}`;
      edges.set(edge, (edges.get(edge) ?? 0) + 1);
    }
    const [a, b, c] = tri.map((v) => [pos[v * 3] ?? 0, pos[v * 3 + 1] ?? 0, pos[v * 3 + 2] ?? 0]) as [
      number[],
      number[],
      number[],
    ];
    // Signed volume of the tetrahedron with the origin (divergence theorem).
    volume +=
      ((a[0] ?? 0) * ((b[1] ?? 0) * (c[2] ?? 0) - (b[2] ?? 0) * (c[1] ?? 0)) -
        (a[1] ?? 0) * ((b[0] ?? 0) * (c[2] ?? 0) - (b[2] ?? 0) * (c[0] ?? 0)) +
        (a[2] ?? 0) * ((b[0] ?? 0) * (c[1] ?? 0) - (b[1] ?? 0) * (c[0] ?? 0))) /
      6;
  }
  let unmatched = 0;
  for (const [edge, count] of edges) {
    const [from, to] = edge.split('|');
    if (edges.get(`${to}|${from}`) !== count || count !== 1) unmatched++;
  }
  return { unmatched, volume, edges: edges.size };
}

async function generateAndValidate(req: ModelRequest) {
  const stages: string[] = [];
  const file = await model.generate(req, { onProgress: (_f, stage) => stage && stages.push(stage) });
  const report = await validator.validateBytes(file.bytes, { maxIssues: 50 });
  return { file, report, stages };
}

describe('EmbeddedModelGenerator', () => {
  it('turns a PNG with alpha into a closed, textured relief that the glTF validator passes', async () => {
    const png = bytes(await sharp(badge(200, 160)).png().toBuffer());
    const { file, report, stages } = await generateAndValidate({ image: png, mime: 'image/png' });
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages)).toBe(0);
    expect(report.issues.numWarnings, JSON.stringify(report.issues.messages)).toBe(0);
    expect(file.contentType).toBe('model/gltf-binary');
    expect(file.extension).toBe('glb');
    expect(file.metadata).toMatchObject({ cutout: 'alpha', grid: [200, 160] });
    expect(stages).toEqual(['decode', 'mask', 'mesh', 'texture', 'pack', 'done']);

    // Bounds: the disc (diameter 0.7 × 160 px of a 200 px-wide, 1 m model) centred, relief in +Z.
    const { json } = parseGlb(file.bytes);
    const { min, max } = json.accessors[json.meshes[0].primitives[0].attributes.POSITION];
    expect(max[0] - min[0]).toBeCloseTo(0.56, 1);
    expect(max[1] - min[1]).toBeCloseTo(0.56, 1);
    expect(min[0] + max[0]).toBeCloseTo(0, 1);
    expect(min[2]).toBe(0);
    expect(max[2]).toBeGreaterThan(0.04);
    expect(max[2]).toBeLessThanOrEqual(0.12 + 1e-6);

    const solid = closedSolid(file.bytes);
    expect(solid.unmatched).toBe(0);
    expect(solid.volume).toBeGreaterThan(0);
  });

  it('embeds the image as the base-colour texture', async () => {
    const png = bytes(await sharp(badge(64, 64)).png().toBuffer());
    const { file, report } = await generateAndValidate({ image: png, mime: 'image/png' });
    expect(report.issues.numErrors).toBe(0);
    const { json, bin } = parseGlb(file.bytes);
    expect(json.materials[0].pbrMetallicRoughness.baseColorTexture.index).toBe(0);
    const image = json.images[json.textures[0].source];
    expect(image.mimeType).toBe('image/png');
    const view = json.bufferViews[image.bufferView];
    const texture = bin.subarray(view.byteOffset, view.byteOffset + view.byteLength);
    expect(sniffImage(texture)).toBe('image/png');
    const meta = await sharp(texture).metadata();
    expect([meta.width, meta.height]).toEqual([64, 64]);
    expect(report.info.resources?.some((r) => r.mimeType === 'image/png' && r.image?.width === 64)).toBe(
      true,
    );
  });

  it('cuts an opaque JPEG out of its plain background, with a JPEG texture', async () => {
    const jpeg = bytes(
      await sharp(badge(240, 180, '#ffffff'))
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    const { file, report } = await generateAndValidate({ image: jpeg, mime: 'image/jpeg' });
    expect(report.issues.numErrors).toBe(0);
    expect(file.metadata).toMatchObject({ cutout: 'background', texture: { mimeType: 'image/jpeg' } });
    const { json } = parseGlb(file.bytes);
    const { min, max } = json.accessors[0];
    expect(max[0] - min[0]).toBeLessThan(0.6); // the disc, not the 1 m-wide page
    expect(closedSolid(file.bytes).unmatched).toBe(0);
  });

  it('handles WebP (lossy with alpha, and lossless)', async () => {
    for (const lossless of [false, true]) {
      const webp = bytes(await sharp(badge(120, 120)).webp({ lossless }).toBuffer());
      const { file, report } = await generateAndValidate({ image: webp, mime: 'image/webp' });
      expect(report.issues.numErrors, `lossless ${lossless}`).toBe(0);
      expect(file.metadata?.cutout).toBe('alpha');
      expect(closedSolid(file.bytes).unmatched).toBe(0);
    }
  });

  it('keeps the whole rectangle of a photo-like image with no plain border', async () => {
    const w = 96;
    const h = 64;
    const raw = Buffer.alloc(w * h * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
    const jpeg = bytes(
      await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
        .jpeg()
        .toBuffer(),
    );
    const { file, report } = await generateAndValidate({ image: jpeg, mime: 'image/jpeg' });
    expect(report.issues.numErrors).toBe(0);
    expect(file.metadata?.cutout).toBe('none');
    const { json } = parseGlb(file.bytes);
    const { min, max } = json.accessors[0];
    expect(max[0] - min[0]).toBeCloseTo(1, 5);
    expect(max[1] - min[1]).toBeCloseTo(h / w, 5);
    expect(closedSolid(file.bytes).unmatched).toBe(0);
  });

  it('handles grey, grey with alpha, 16-bit and CMYK inputs', async () => {
    const inputs: [string, ModelRequest['mime'], Buffer, string][] = [
      [
        'grey',
        'image/png',
        await sharp(badge(64, 48, '#ffffff'))
          .toColourspace('b-w')
          .png()
          .toBuffer(),
        'background',
      ],
      ['grey+alpha', 'image/png', await sharp(badge(64, 48)).toColourspace('b-w').png().toBuffer(), 'alpha'],
      ['16-bit', 'image/png', await sharp(badge(64, 48)).toColourspace('rgb16').png().toBuffer(), 'alpha'],
      [
        'cmyk',
        'image/jpeg',
        await sharp(badge(64, 48, '#ffffff'))
          .toColourspace('cmyk')
          .jpeg()
          .toBuffer(),
        'background',
      ],
    ];
    for (const [label, mime, input, cut] of inputs) {
      const { file, report } = await generateAndValidate({ image: bytes(input), mime });
      expect(report.issues.numErrors, label).toBe(0);
      expect(file.metadata?.cutout, label).toBe(cut);
      expect(closedSolid(file.bytes).unmatched, label).toBe(0);
    }
  });

  it('handles a 1024-pixel image on a grid of at most 256 cells a side', async () => {
    const png = bytes(await sharp(badge(1024, 768)).png().toBuffer());
    const { file, report } = await generateAndValidate({ image: png, mime: 'image/png' });
    expect(report.issues.numErrors).toBe(0);
    expect(file.metadata).toMatchObject({ grid: [256, 192], texture: { width: 1024, height: 1024 } });
  });

  it('refuses images that are not what they claim, or broken, before decoding', async () => {
    const png = bytes(await sharp(badge(32, 32)).png().toBuffer());
    await expect(model.generate({ image: png, mime: 'image/jpeg' })).rejects.toMatchObject({
      kind: 'refused',
    });
    await expect(model.generate({ image: png.subarray(0, 40), mime: 'image/png' })).rejects.toBeInstanceOf(
      GenerationError,
    );
    const corrupt = png.slice();
    corrupt.fill(0x55, 40);
    await expect(model.generate({ image: corrupt, mime: 'image/png' })).rejects.toMatchObject({
      kind: 'refused',
    });
  });

  it('stops when aborted', async () => {
    const png = bytes(await sharp(badge(64, 64)).png().toBuffer());
    const controller = new AbortController();
    const pending = model.generate(
      { image: png, mime: 'image/png' },
      {
        signal: controller.signal,
        onProgress: (_f, stage) => stage === 'mask' && controller.abort(new Error('gone')),
      },
    );
    await expect(pending).rejects.toThrow('gone');
  });
});
