/**
 * The 3D viewer, as browser script text served at `/assets/viewer.js`: bundled with the app,
 * no CDN, no dependency. Plain ES2017 (kept as a string, like the paywall's page script, so no
 * build step can rewrite it into something a browser cannot run).
 *
 * It reads binary glTF 2.0 (glTF spec §4.4: a 12-byte header, then a JSON chunk and a BIN
 * chunk), walks the default scene's nodes (TRS or matrix transforms, §5.25), bakes every
 * triangle primitive into world space, decodes each base color texture from its buffer view
 * (the embedded PNG/JPEG), and draws with WebGL 1: a base color texture or factor, a light
 * that follows the camera, alpha mask and blend (§3.9.4), double-sided materials and
 * `KHR_materials_unlit`. Drag orbits, the wheel (or pinch) zooms, arrow keys turn it too.
 * Without WebGL (no GPU, blocked) it draws the same mesh on a 2D canvas: triangles sorted
 * back to front, each filled with its texture colour and shaded.
 *
 * API: `FareboxViewer.show(canvas, arrayBuffer, { renderer?: 'webgl' | '2d' })` → a promise of
 * `{ renderer, triangles, vertices }`; the canvas gets `data-renderer` and `data-ready`.
 *
 * @module
 */

/** The viewer script. */
export const VIEWER_SCRIPT = `(function () {
'use strict';

var GLB_MAGIC = 0x46546c67, CHUNK_JSON = 0x4e4f534a, CHUNK_BIN = 0x004e4942;
var COMPONENTS = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT2: 4, MAT3: 9, MAT4: 16 };
var SIZES = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 };

function parseGlb(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < 20) throw new Error('not a glb file (too short)');
  var dv = new DataView(buf);
  if (dv.getUint32(0, true) !== GLB_MAGIC) throw new Error('not a glb file (bad magic)');
  var version = dv.getUint32(4, true);
  if (version !== 2) throw new Error('glTF version ' + version + ' is not supported');
  var end = Math.min(dv.getUint32(8, true), buf.byteLength);
  var off = 12, json = null, bin = null;
  while (off + 8 <= end) {
    var len = dv.getUint32(off, true), type = dv.getUint32(off + 4, true), start = off + 8;
    if (start + len > end) throw new Error('glb chunk runs past the end');
    if (type === CHUNK_JSON && !json) json = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, start, len)));
    else if (type === CHUNK_BIN && !bin) bin = new Uint8Array(buf, start, len);
    off = start + len + ((4 - (len % 4)) % 4);
  }
  if (!json) throw new Error('glb has no JSON chunk');
  return { json: json, bin: bin };
}

function bufferViewBytes(g, index) {
  var bv = g.json.bufferViews[index];
  if (!bv || bv.buffer !== 0 || !g.bin) throw new Error('unsupported buffer view ' + index + ' (only the GLB buffer)');
  return { bytes: g.bin, offset: bv.byteOffset || 0, length: bv.byteLength, stride: bv.byteStride || 0 };
}

function readAccessor(g, index) {
  var a = g.json.accessors[index];
  var n = COMPONENTS[a.type], size = SIZES[a.componentType];
  if (!n || !size) throw new Error('unsupported accessor ' + index);
  var out = new Float32Array(a.count * n);
  if (a.bufferView === undefined) return out;
  var v = bufferViewBytes(g, a.bufferView);
  var stride = v.stride || size * n;
  var base = v.offset + (a.byteOffset || 0);
  if (base + stride * (a.count - 1) + size * n > v.offset + v.length) throw new Error('accessor ' + index + ' runs past its view');
  var dv = new DataView(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength);
  var norm = !!a.normalized, ct = a.componentType;
  for (var i = 0; i < a.count; i++) {
    for (var k = 0; k < n; k++) {
      var p = base + i * stride + k * size, x;
      if (ct === 5126) x = dv.getFloat32(p, true);
      else if (ct === 5125) x = dv.getUint32(p, true);
      else if (ct === 5123) { x = dv.getUint16(p, true); if (norm) x /= 65535; }
      else if (ct === 5121) { x = dv.getUint8(p); if (norm) x /= 255; }
      else if (ct === 5122) { x = dv.getInt16(p, true); if (norm) x = Math.max(x / 32767, -1); }
      else { x = dv.getInt8(p); if (norm) x = Math.max(x / 127, -1); }
      out[i * n + k] = x;
    }
  }
  return out;
}

// Column-major 4x4 matrices, as glTF and WebGL use them.
function identity() { return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]; }
function multiply(a, b) {
  var o = new Array(16);
  for (var c = 0; c < 4; c++) for (var r = 0; r < 4; r++) {
    o[c * 4 + r] = a[r] * b[c * 4] + a[4 + r] * b[c * 4 + 1] + a[8 + r] * b[c * 4 + 2] + a[12 + r] * b[c * 4 + 3];
  }
  return o;
}
function trs(node) {
  if (node.matrix) return node.matrix.slice();
  var t = node.translation || [0, 0, 0], q = node.rotation || [0, 0, 0, 1], s = node.scale || [1, 1, 1];
  var x = q[0], y = q[1], z = q[2], w = q[3];
  return [
    (1 - 2 * (y * y + z * z)) * s[0], 2 * (x * y + z * w) * s[0], 2 * (x * z - y * w) * s[0], 0,
    2 * (x * y - z * w) * s[1], (1 - 2 * (x * x + z * z)) * s[1], 2 * (y * z + x * w) * s[1], 0,
    2 * (x * z + y * w) * s[2], 2 * (y * z - x * w) * s[2], (1 - 2 * (x * x + y * y)) * s[2], 0,
    t[0], t[1], t[2], 1
  ];
}
function perspective(fovy, aspect, near, far) {
  var f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
  return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0];
}
function lookAt(eye, at, up) {
  var zx = eye[0] - at[0], zy = eye[1] - at[1], zz = eye[2] - at[2];
  var l = Math.hypot(zx, zy, zz) || 1; zx /= l; zy /= l; zz /= l;
  var xx = up[1] * zz - up[2] * zy, xy = up[2] * zx - up[0] * zz, xz = up[0] * zy - up[1] * zx;
  l = Math.hypot(xx, xy, xz) || 1; xx /= l; xy /= l; xz /= l;
  var yx = zy * xz - zz * xy, yy = zz * xx - zx * xz, yz = zx * xy - zy * xx;
  return [xx, yx, zx, 0, xy, yy, zy, 0, xz, yz, zz, 0,
    -(xx * eye[0] + xy * eye[1] + xz * eye[2]), -(yx * eye[0] + yy * eye[1] + yz * eye[2]), -(zx * eye[0] + zy * eye[1] + zz * eye[2]), 1];
}

function smoothNormals(pos, idx) {
  var nrm = new Float32Array(pos.length);
  for (var t = 0; t < idx.length; t += 3) {
    var a = idx[t] * 3, b = idx[t + 1] * 3, c = idx[t + 2] * 3;
    var ux = pos[b] - pos[a], uy = pos[b + 1] - pos[a + 1], uz = pos[b + 2] - pos[a + 2];
    var vx = pos[c] - pos[a], vy = pos[c + 1] - pos[a + 1], vz = pos[c + 2] - pos[a + 2];
    var nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    for (var k = 0; k < 3; k++) { var o = idx[t + k] * 3; nrm[o] += nx; nrm[o + 1] += ny; nrm[o + 2] += nz; }
  }
  return nrm;
}

/** Every triangle primitive of the default scene, baked into world space. */
function meshes(g) {
  var j = g.json, out = [];
  var scene = j.scenes ? j.scenes[j.scene || 0] : null;
  var roots = scene ? scene.nodes || [] : (j.nodes || []).map(function (_, i) { return i; });
  function visit(ni, parent, depth) {
    if (depth > 64) return;
    var node = j.nodes[ni];
    var m = multiply(parent, trs(node));
    if (node.mesh !== undefined) {
      j.meshes[node.mesh].primitives.forEach(function (p) {
        if (p.mode !== undefined && p.mode !== 4) return;
        if (p.attributes.POSITION === undefined) return;
        var local = readAccessor(g, p.attributes.POSITION);
        var count = local.length / 3;
        var idx;
        if (p.indices !== undefined) { var f = readAccessor(g, p.indices); idx = new Uint32Array(f.length); for (var i = 0; i < f.length; i++) idx[i] = f[i]; }
        else { idx = new Uint32Array(count); for (var i2 = 0; i2 < count; i2++) idx[i2] = i2; }
        var pos = new Float32Array(local.length);
        for (var v = 0; v < count; v++) {
          var x = local[v * 3], y = local[v * 3 + 1], z = local[v * 3 + 2];
          pos[v * 3] = m[0] * x + m[4] * y + m[8] * z + m[12];
          pos[v * 3 + 1] = m[1] * x + m[5] * y + m[9] * z + m[13];
          pos[v * 3 + 2] = m[2] * x + m[6] * y + m[10] * z + m[14];
        }
        var nrm;
        if (p.attributes.NORMAL !== undefined) {
          var ln = readAccessor(g, p.attributes.NORMAL);
          nrm = new Float32Array(ln.length);
          // Normals by the upper 3x3 (fine for the rotations and uniform scales models use).
          for (var w = 0; w < count; w++) {
            var a = ln[w * 3], b = ln[w * 3 + 1], c = ln[w * 3 + 2];
            nrm[w * 3] = m[0] * a + m[4] * b + m[8] * c;
            nrm[w * 3 + 1] = m[1] * a + m[5] * b + m[9] * c;
            nrm[w * 3 + 2] = m[2] * a + m[6] * b + m[10] * c;
          }
        } else nrm = smoothNormals(pos, idx);
        var uv = p.attributes.TEXCOORD_0 !== undefined ? readAccessor(g, p.attributes.TEXCOORD_0) : new Float32Array(count * 2);
        var col = null;
        if (p.attributes.COLOR_0 !== undefined) {
          var cr = readAccessor(g, p.attributes.COLOR_0), cn = cr.length / count;
          col = new Float32Array(count * 4);
          for (var q = 0; q < count; q++) { col[q * 4] = cr[q * cn]; col[q * 4 + 1] = cr[q * cn + 1]; col[q * 4 + 2] = cr[q * cn + 2]; col[q * 4 + 3] = cn === 4 ? cr[q * cn + 3] : 1; }
        }
        var mat = p.material !== undefined && j.materials ? j.materials[p.material] : {};
        var pbr = mat.pbrMetallicRoughness || {};
        out.push({
          pos: pos, nrm: nrm, uv: uv, col: col, idx: idx, count: count,
          color: pbr.baseColorFactor || [1, 1, 1, 1],
          texture: pbr.baseColorTexture ? pbr.baseColorTexture.index : undefined,
          doubleSided: !!mat.doubleSided,
          alphaMode: mat.alphaMode || 'OPAQUE',
          alphaCutoff: mat.alphaCutoff === undefined ? 0.5 : mat.alphaCutoff,
          unlit: !!(mat.extensions && mat.extensions.KHR_materials_unlit)
        });
      });
    }
    (node.children || []).forEach(function (c) { visit(c, m, depth + 1); });
  }
  roots.forEach(function (r) { visit(r, identity(), 0); });
  return out;
}

function loadImage(g, texIndex) {
  var tex = g.json.textures && g.json.textures[texIndex];
  var im = tex && g.json.images && g.json.images[tex.source];
  if (!im || im.bufferView === undefined) return Promise.resolve(null);
  var v = bufferViewBytes(g, im.bufferView);
  var blob = new Blob([v.bytes.subarray(v.offset, v.offset + v.length)], { type: im.mimeType || 'image/png' });
  if (window.createImageBitmap) return createImageBitmap(blob).catch(function () { return null; });
  return new Promise(function (resolve) {
    var img = new Image();
    var url = URL.createObjectURL(blob);
    img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
    img.onerror = function () { URL.revokeObjectURL(url); resolve(null); };
    img.src = url;
  });
}

function bounds(prims) {
  var min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  prims.forEach(function (p) {
    for (var i = 0; i < p.pos.length; i += 3) for (var k = 0; k < 3; k++) {
      if (p.pos[i + k] < min[k]) min[k] = p.pos[i + k];
      if (p.pos[i + k] > max[k]) max[k] = p.pos[i + k];
    }
  });
  if (min[0] === Infinity) return { center: [0, 0, 0], radius: 1 };
  var center = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  var radius = Math.hypot(max[0] - min[0], max[1] - min[1], max[2] - min[2]) / 2 || 1;
  return { center: center, radius: radius };
}

/** Orbit camera state shared by both renderers. */
function Camera(b) {
  this.center = b.center; this.radius = b.radius;
  this.yaw = 0.5; this.pitch = 0.35; this.zoom = 1; this.fov = Math.PI / 4;
}
Camera.prototype.eye = function () {
  var d = (this.radius / Math.sin(this.fov / 2)) * 1.05 * this.zoom;
  return [this.center[0] + d * Math.cos(this.pitch) * Math.sin(this.yaw), this.center[1] + d * Math.sin(this.pitch), this.center[2] + d * Math.cos(this.pitch) * Math.cos(this.yaw)];
};
Camera.prototype.matrices = function (aspect) {
  var eye = this.eye();
  var d = Math.hypot(eye[0] - this.center[0], eye[1] - this.center[1], eye[2] - this.center[2]);
  var view = lookAt(eye, this.center, [0, 1, 0]);
  var proj = perspective(this.fov, aspect, Math.max(d - this.radius * 2, d / 1000), d + this.radius * 2);
  var l = Math.hypot(eye[0] - this.center[0], eye[1] - this.center[1], eye[2] - this.center[2]) || 1;
  var light = [(eye[0] - this.center[0]) / l + 0.3, (eye[1] - this.center[1]) / l + 0.6, (eye[2] - this.center[2]) / l];
  var ll = Math.hypot(light[0], light[1], light[2]);
  return { mvp: multiply(proj, view), light: [light[0] / ll, light[1] / ll, light[2] / ll] };
};

var VS = 'attribute vec3 aPos; attribute vec3 aNrm; attribute vec2 aUv; attribute vec4 aCol;' +
  'uniform mat4 uMvp; varying vec3 vNrm; varying vec2 vUv; varying vec4 vCol;' +
  'void main() { vNrm = aNrm; vUv = aUv; vCol = aCol; gl_Position = uMvp * vec4(aPos, 1.0); }';
var FS = 'precision mediump float; varying vec3 vNrm; varying vec2 vUv; varying vec4 vCol;' +
  'uniform sampler2D uTex; uniform float uHasTex; uniform vec4 uColor; uniform vec3 uLight; uniform float uUnlit; uniform float uCutoff;' +
  'void main() {' +
  '  vec4 base = uColor * vCol; if (uHasTex > 0.5) base *= texture2D(uTex, vUv);' +
  '  if (base.a < uCutoff) discard;' +
  '  vec3 n = normalize(vNrm); if (!gl_FrontFacing) n = -n;' +
  '  float shade = uUnlit > 0.5 ? 1.0 : 0.35 + 0.65 * max(dot(n, uLight), 0.0);' +
  '  gl_FragColor = vec4(base.rgb * shade, base.a);' +
  '}';

function webglRenderer(canvas, prims, images) {
  var gl = canvas.getContext('webgl', { antialias: true, preserveDrawingBuffer: true }) ||
    canvas.getContext('experimental-webgl', { preserveDrawingBuffer: true });
  if (!gl) return null;
  function shader(type, src) {
    var s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s) || 'shader error');
    return s;
  }
  var prog = gl.createProgram();
  gl.attachShader(prog, shader(gl.VERTEX_SHADER, VS));
  gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FS));
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog) || 'link error');
  gl.useProgram(prog);
  var loc = {
    pos: gl.getAttribLocation(prog, 'aPos'), nrm: gl.getAttribLocation(prog, 'aNrm'),
    uv: gl.getAttribLocation(prog, 'aUv'), col: gl.getAttribLocation(prog, 'aCol'),
    mvp: gl.getUniformLocation(prog, 'uMvp'), tex: gl.getUniformLocation(prog, 'uTex'),
    hasTex: gl.getUniformLocation(prog, 'uHasTex'), color: gl.getUniformLocation(prog, 'uColor'),
    light: gl.getUniformLocation(prog, 'uLight'), unlit: gl.getUniformLocation(prog, 'uUnlit'),
    cutoff: gl.getUniformLocation(prog, 'uCutoff')
  };
  var uint = gl.getExtension('OES_element_index_uint');
  function buffer(target, data) { var b = gl.createBuffer(); gl.bindBuffer(target, b); gl.bufferData(target, data, gl.STATIC_DRAW); return b; }
  var textures = {};
  Object.keys(images).forEach(function (k) {
    if (!images[k]) return;
    var t = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, t);
    // glTF puts UV (0,0) at the image's first pixel (top left): no flip.
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, images[k]);
    // WebGL 1 allows any size with clamping and no mipmaps.
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    textures[k] = t;
  });
  var draws = prims.map(function (p) {
    var idx = p.idx, big = p.count > 65535;
    var d = {
      p: p, pos: buffer(gl.ARRAY_BUFFER, p.pos), nrm: buffer(gl.ARRAY_BUFFER, p.nrm), uv: buffer(gl.ARRAY_BUFFER, p.uv),
      col: p.col ? buffer(gl.ARRAY_BUFFER, p.col) : null, n: idx.length, type: gl.UNSIGNED_SHORT, idx: null
    };
    if (big && uint) { d.idx = buffer(gl.ELEMENT_ARRAY_BUFFER, idx); d.type = gl.UNSIGNED_INT; }
    else if (!big) { d.idx = buffer(gl.ELEMENT_ARRAY_BUFFER, new Uint16Array(idx)); }
    else {
      // No 32-bit indices: draw unindexed copies.
      function expand(src, n) { var o = new Float32Array(idx.length * n); for (var i = 0; i < idx.length; i++) for (var k = 0; k < n; k++) o[i * n + k] = src[idx[i] * n + k]; return o; }
      d.pos = buffer(gl.ARRAY_BUFFER, expand(p.pos, 3)); d.nrm = buffer(gl.ARRAY_BUFFER, expand(p.nrm, 3)); d.uv = buffer(gl.ARRAY_BUFFER, expand(p.uv, 2));
      if (p.col) d.col = buffer(gl.ARRAY_BUFFER, expand(p.col, 4));
    }
    return d;
  });
  function attrib(l, b, n) { if (l < 0) return; gl.bindBuffer(gl.ARRAY_BUFFER, b); gl.enableVertexAttribArray(l); gl.vertexAttribPointer(l, n, gl.FLOAT, false, 0, 0); }
  gl.enable(gl.DEPTH_TEST);
  return {
    name: 'webgl',
    draw: function (cam) {
      var w = canvas.width, h = canvas.height;
      gl.viewport(0, 0, w, h);
      gl.clearColor(0.12, 0.16, 0.22, 1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      var m = cam.matrices(w / h);
      gl.uniformMatrix4fv(loc.mvp, false, new Float32Array(m.mvp));
      gl.uniform3fv(loc.light, new Float32Array(m.light));
      // Opaque first, then blended, as glTF §3.9.4 suggests.
      var order = draws.filter(function (d) { return d.p.alphaMode !== 'BLEND'; }).concat(draws.filter(function (d) { return d.p.alphaMode === 'BLEND'; }));
      order.forEach(function (d) {
        var p = d.p;
        if (p.doubleSided) gl.disable(gl.CULL_FACE); else { gl.enable(gl.CULL_FACE); gl.cullFace(gl.BACK); }
        if (p.alphaMode === 'BLEND') { gl.enable(gl.BLEND); gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA); gl.depthMask(false); }
        else { gl.disable(gl.BLEND); gl.depthMask(true); }
        attrib(loc.pos, d.pos, 3); attrib(loc.nrm, d.nrm, 3); attrib(loc.uv, d.uv, 2);
        if (d.col) attrib(loc.col, d.col, 4); else if (loc.col >= 0) { gl.disableVertexAttribArray(loc.col); gl.vertexAttrib4f(loc.col, 1, 1, 1, 1); }
        var t = p.texture !== undefined ? textures[p.texture] : undefined;
        gl.activeTexture(gl.TEXTURE0);
        gl.bindTexture(gl.TEXTURE_2D, t || null);
        gl.uniform1i(loc.tex, 0);
        gl.uniform1f(loc.hasTex, t ? 1 : 0);
        gl.uniform4fv(loc.color, new Float32Array(p.color));
        gl.uniform1f(loc.unlit, p.unlit ? 1 : 0);
        gl.uniform1f(loc.cutoff, p.alphaMode === 'MASK' ? p.alphaCutoff : -1);
        if (d.idx) { gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, d.idx); gl.drawElements(gl.TRIANGLES, d.n, d.type, 0); }
        else gl.drawArrays(gl.TRIANGLES, 0, d.n);
      });
      gl.depthMask(true);
    }
  };
}

function canvas2dRenderer(canvas, prims, images) {
  var ctx = canvas.getContext('2d');
  if (!ctx) return null;
  var pixels = {};
  Object.keys(images).forEach(function (k) {
    var im = images[k];
    if (!im) return;
    var c = document.createElement('canvas');
    c.width = im.width; c.height = im.height;
    var x = c.getContext('2d'); x.drawImage(im, 0, 0);
    pixels[k] = { w: c.width, h: c.height, data: x.getImageData(0, 0, c.width, c.height).data };
  });
  // One colour per triangle: the texture at its centroid (or the vertex colours), times the factor.
  var tris = [];
  prims.forEach(function (p) {
    var px = p.texture !== undefined ? pixels[p.texture] : null;
    for (var t = 0; t < p.idx.length; t += 3) {
      var a = p.idx[t], b = p.idx[t + 1], c = p.idx[t + 2];
      var r = p.color[0], g = p.color[1], bl = p.color[2], al = p.color[3];
      if (px) {
        var u = (p.uv[a * 2] + p.uv[b * 2] + p.uv[c * 2]) / 3, v = (p.uv[a * 2 + 1] + p.uv[b * 2 + 1] + p.uv[c * 2 + 1]) / 3;
        var ix = Math.min(px.w - 1, Math.max(0, Math.floor(u * px.w))), iy = Math.min(px.h - 1, Math.max(0, Math.floor(v * px.h)));
        var o = (iy * px.w + ix) * 4;
        r *= px.data[o] / 255; g *= px.data[o + 1] / 255; bl *= px.data[o + 2] / 255; al *= px.data[o + 3] / 255;
      }
      if (p.col) { r *= p.col[a * 4]; g *= p.col[a * 4 + 1]; bl *= p.col[a * 4 + 2]; }
      if (p.alphaMode === 'MASK' && al < p.alphaCutoff) continue;
      var nx = p.nrm[a * 3] + p.nrm[b * 3] + p.nrm[c * 3], ny = p.nrm[a * 3 + 1] + p.nrm[b * 3 + 1] + p.nrm[c * 3 + 1], nz = p.nrm[a * 3 + 2] + p.nrm[b * 3 + 2] + p.nrm[c * 3 + 2];
      var nl = Math.hypot(nx, ny, nz) || 1;
      tris.push({ p: p, a: a, b: b, c: c, r: r, g: g, bl: bl, al: al, n: [nx / nl, ny / nl, nz / nl], z: 0 });
    }
  });
  return {
    name: '2d',
    draw: function (cam) {
      var w = canvas.width, h = canvas.height;
      ctx.fillStyle = 'rgb(31,41,55)';
      ctx.fillRect(0, 0, w, h);
      var m = cam.matrices(w / h).mvp, L = cam.matrices(w / h).light;
      var screen = new Map();
      function project(p, i) {
        var key = p.pos; var arr = screen.get(key);
        if (!arr) { arr = new Float32Array(p.count * 3).fill(NaN); screen.set(key, arr); }
        if (!isNaN(arr[i * 3])) return arr;
        var x = p.pos[i * 3], y = p.pos[i * 3 + 1], z = p.pos[i * 3 + 2];
        var cx = m[0] * x + m[4] * y + m[8] * z + m[12], cy = m[1] * x + m[5] * y + m[9] * z + m[13];
        var cz = m[2] * x + m[6] * y + m[10] * z + m[14], cw = m[3] * x + m[7] * y + m[11] * z + m[15];
        arr[i * 3] = (cx / cw * 0.5 + 0.5) * w; arr[i * 3 + 1] = (0.5 - cy / cw * 0.5) * h; arr[i * 3 + 2] = cz / cw;
        return arr;
      }
      var vis = [];
      for (var i = 0; i < tris.length; i++) {
        var t = tris[i], s = project(t.p, t.a); project(t.p, t.b); project(t.p, t.c);
        var ax = s[t.a * 3], ay = s[t.a * 3 + 1], bx = s[t.b * 3], by = s[t.b * 3 + 1], cx2 = s[t.c * 3], cy2 = s[t.c * 3 + 1];
        var area = (bx - ax) * (cy2 - ay) - (by - ay) * (cx2 - ax);
        // Screen y points down: front faces (counter-clockwise in glTF) have a negative area here.
        if (area > 0 && !t.p.doubleSided) continue;
        t.z = s[t.a * 3 + 2] + s[t.b * 3 + 2] + s[t.c * 3 + 2];
        t.s = s;
        vis.push(t);
      }
      vis.sort(function (x, y) { return y.z - x.z; });
      for (var j = 0; j < vis.length; j++) {
        var q = vis[j], sc = q.s;
        var d = Math.abs(q.n[0] * L[0] + q.n[1] * L[1] + q.n[2] * L[2]);
        var shade = q.p.unlit ? 1 : 0.35 + 0.65 * d;
        var fill = 'rgba(' + Math.round(q.r * shade * 255) + ',' + Math.round(q.g * shade * 255) + ',' + Math.round(q.bl * shade * 255) + ',' + q.al + ')';
        ctx.fillStyle = fill; ctx.strokeStyle = fill; ctx.lineWidth = 0.6;
        ctx.beginPath();
        ctx.moveTo(sc[q.a * 3], sc[q.a * 3 + 1]); ctx.lineTo(sc[q.b * 3], sc[q.b * 3 + 1]); ctx.lineTo(sc[q.c * 3], sc[q.c * 3 + 1]);
        ctx.closePath(); ctx.fill(); ctx.stroke();
      }
    }
  };
}

function show(canvas, buf, opts) {
  opts = opts || {};
  var g = parseGlb(buf);
  var prims = meshes(g);
  if (prims.length === 0) return Promise.reject(new Error('the model has no triangles'));
  var texIds = {};
  prims.forEach(function (p) { if (p.texture !== undefined) texIds[p.texture] = true; });
  var keys = Object.keys(texIds);
  return Promise.all(keys.map(function (k) { return loadImage(g, Number(k)); })).then(function (imgs) {
    var images = {};
    keys.forEach(function (k, i) { images[k] = imgs[i]; });
    var dpr = Math.min(window.devicePixelRatio || 1, 2);
    var rect = canvas.getBoundingClientRect();
    if (rect.width > 0) { canvas.width = Math.round(rect.width * dpr); canvas.height = Math.round(rect.height * dpr); }
    var r = null;
    if (opts.renderer !== '2d') { try { r = webglRenderer(canvas, prims, images); } catch (e) { r = null; } }
    if (!r) {
      // A canvas with a WebGL context cannot give a 2D one: draw on a fresh canvas in its place.
      if (opts.renderer !== '2d') {
        var fresh = canvas.cloneNode(false); canvas.parentNode.replaceChild(fresh, canvas); canvas = fresh;
      }
      r = canvas2dRenderer(canvas, prims, images);
    }
    if (!r) throw new Error('this browser can draw neither WebGL nor 2D canvas');
    var cam = new Camera(bounds(prims));
    var auto = opts.autoRotate !== false, dirty = true, dragging = null;
    function frame() {
      if (auto) { cam.yaw += 0.006; dirty = true; }
      if (dirty) { r.draw(cam); dirty = false; }
      if (canvas.isConnected) requestAnimationFrame(frame);
    }
    canvas.tabIndex = 0;
    canvas.addEventListener('pointerdown', function (e) { auto = false; dragging = { x: e.clientX, y: e.clientY }; canvas.setPointerCapture(e.pointerId); canvas.style.cursor = 'grabbing'; });
    canvas.addEventListener('pointermove', function (e) {
      if (!dragging) return;
      cam.yaw -= (e.clientX - dragging.x) * 0.01;
      cam.pitch = Math.max(-1.5, Math.min(1.5, cam.pitch + (e.clientY - dragging.y) * 0.01));
      dragging = { x: e.clientX, y: e.clientY }; dirty = true;
    });
    function up() { dragging = null; canvas.style.cursor = ''; }
    canvas.addEventListener('pointerup', up); canvas.addEventListener('pointercancel', up);
    canvas.addEventListener('wheel', function (e) { e.preventDefault(); auto = false; cam.zoom = Math.max(0.2, Math.min(5, cam.zoom * Math.exp(e.deltaY * 0.001))); dirty = true; }, { passive: false });
    canvas.addEventListener('keydown', function (e) {
      var k = e.key; auto = false;
      if (k === 'ArrowLeft') cam.yaw -= 0.1; else if (k === 'ArrowRight') cam.yaw += 0.1;
      else if (k === 'ArrowUp') cam.pitch = Math.min(1.5, cam.pitch + 0.1); else if (k === 'ArrowDown') cam.pitch = Math.max(-1.5, cam.pitch - 0.1);
      else if (k === '+' || k === '=') cam.zoom = Math.max(0.2, cam.zoom / 1.1); else if (k === '-') cam.zoom = Math.min(5, cam.zoom * 1.1);
      else return;
      e.preventDefault(); dirty = true;
    });
    r.draw(cam);
    requestAnimationFrame(frame);
    var triangles = prims.reduce(function (n, p) { return n + p.idx.length / 3; }, 0);
    var vertices = prims.reduce(function (n, p) { return n + p.count; }, 0);
    canvas.setAttribute('data-renderer', r.name);
    canvas.setAttribute('data-triangles', String(triangles));
    canvas.setAttribute('data-ready', '1');
    return { renderer: r.name, triangles: triangles, vertices: vertices, canvas: canvas,
      turn: function (dyaw, dpitch) { auto = false; cam.yaw += dyaw; cam.pitch = Math.max(-1.5, Math.min(1.5, cam.pitch + (dpitch || 0))); dirty = true; r.draw(cam); } };
  });
}

window.FareboxViewer = { show: show, parseGlb: parseGlb };
})();
`;
