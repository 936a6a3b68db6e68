/**
 * A binary glTF 2.0 writer for one textured triangle mesh (glTF 2.0 §4.4: a 12-byte header,
 * a JSON chunk padded with spaces and a BIN chunk padded with zeros, both 4-byte aligned).
 *
 * @module
 */
import type { ReliefMesh } from './relief-mesh.js';

const ARRAY_BUFFER = 34962;
const ELEMENT_ARRAY_BUFFER = 34963;
const FLOAT = 5126;
const UNSIGNED_SHORT = 5123;
const UNSIGNED_INT = 5125;

const pad4 = (n: number) => (n + 3) & ~3;

export interface GlbInput {
  mesh: ReliefMesh;
  texture: { bytes: Uint8Array; mimeType: 'image/png' | 'image/jpeg' };
  name?: string;
  generator?: string;
  /** Extra `asset.extras`, e.g. where the model came from. */
  extras?: Record<string, unknown>;
}

/**
 * Packs the mesh and its base-colour texture into one `.glb`.
 *
 * @example
 * ```ts
 * const glb = writeGlb({ mesh, texture: { bytes: png, mimeType: 'image/png' } });
 * new TextDecoder().decode(glb.subarray(0, 4)); // 'glTF'
 * ```
 */
export function writeGlb(input: GlbInput): Uint8Array {
  const { mesh, texture } = input;
  const vertexCount = mesh.positions.length / 3;
  const indices = vertexCount <= 0xffff ? Uint16Array.from(mesh.indices) : mesh.indices;
  const parts: Uint8Array[] = [mesh.positions, mesh.normals, mesh.uvs, indices, texture.bytes].map(
    (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
  );
  const bufferViews: Record<string, unknown>[] = [];
  let offset = 0;
  parts.forEach((bytes, i) => {
    const view: Record<string, unknown> = { buffer: 0, byteOffset: offset, byteLength: bytes.length };
    if (i < 3) view.target = ARRAY_BUFFER;
    else if (i === 3) view.target = ELEMENT_ARRAY_BUFFER;
    bufferViews.push(view);
    offset = pad4(offset + bytes.length);
  });
  const binLength = offset;
  const name = input.name ?? 'relief';
  const json = {
    asset: {
      version: '2.0',
      generator: input.generator ?? 'farebox embedded relief',
      ...(input.extras ? { extras: input.extras } : {}),
    },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0, name }],
    meshes: [
      {
        name,
        primitives: [
          { attributes: { POSITION: 0, NORMAL: 1, TEXCOORD_0: 2 }, indices: 3, material: 0, mode: 4 },
        ],
      },
    ],
    materials: [
      {
        name: `${name}-material`,
        pbrMetallicRoughness: { baseColorTexture: { index: 0 }, metallicFactor: 0, roughnessFactor: 0.85 },
      },
    ],
    textures: [{ sampler: 0, source: 0 }],
    samplers: [{ magFilter: 9729, minFilter: 9987, wrapS: 33071, wrapT: 33071 }],
    images: [{ bufferView: 4, mimeType: texture.mimeType }],
    accessors: [
      { bufferView: 0, componentType: FLOAT, count: vertexCount, type: 'VEC3', min: mesh.min, max: mesh.max },
      { bufferView: 1, componentType: FLOAT, count: vertexCount, type: 'VEC3' },
      { bufferView: 2, componentType: FLOAT, count: vertexCount, type: 'VEC2' },
      {
        bufferView: 3,
        componentType: indices instanceof Uint16Array ? UNSIGNED_SHORT : UNSIGNED_INT,
        count: indices.length,
        type: 'SCALAR',
      },
    ],
    bufferViews,
    buffers: [{ byteLength: binLength }],
  };
  const jsonBytes = new TextEncoder().encode(JSON.stringify(json));
  const jsonLength = pad4(jsonBytes.length);
  const total = 12 + 8 + jsonLength + 8 + binLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x46546c67, true); // 'glTF'
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonLength, true);
  view.setUint32(16, 0x4e4f534a, true); // 'JSON'
  out.set(jsonBytes, 20);
  out.fill(0x20, 20 + jsonBytes.length, 20 + jsonLength);
  const binStart = 20 + jsonLength;
  view.setUint32(binStart, binLength, true);
  view.setUint32(binStart + 4, 0x004e4942, true); // 'BIN\0'
  parts.forEach((bytes, i) => {
    out.set(bytes, binStart + 8 + ((bufferViews[i]?.byteOffset as number) ?? 0));
  });
  return out;
}
