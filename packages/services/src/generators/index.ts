/**
 * `@farebox/services/generators`: what the paid services sell. The interface, the embedded
 * generators that run offline on a CPU (a sung song; a textured relief model), the image
 * checks the app runs before charging, and adapters for hosted models.
 *
 * @module
 */

export { classifyFailure, type HostedOptions } from './hosted/http.js';
export { MeshyModelGenerator, type MeshyModelOptions } from './hosted/meshy.js';
export {
  isGlb,
  ReplicateModelGenerator,
  type ReplicateModelOptions,
  ReplicateMusicGenerator,
  type ReplicateMusicOptions,
} from './hosted/replicate.js';
export * from './image/check.js';
export * from './image/sniff.js';
export { EmbeddedModelGenerator, type EmbeddedModelOptions } from './model/embedded-model.js';
export { type GlbInput, writeGlb } from './model/glb.js';
export { type ReliefMesh, type ReliefOptions, reliefMesh } from './model/relief-mesh.js';
export {
  EmbeddedMusicGenerator,
  type EmbeddedMusicOptions,
  MUSIC_SAMPLE_RATE_RANGE,
} from './music/embedded-music.js';
export { MP3_SAMPLE_RATES, mp3Kbps, nearestMp3SampleRate } from './music/mp3.js';
export { type SongStyle, styleFromPrompt } from './music/style.js';
export { type LyricLine, parseLyrics, type Syllable, syllabify, type Vowel } from './music/syllables.js';
export * from './types.js';
