/**
 * The services app: the seeds' paid music and 3D endpoints on a farebox paywall, with one
 * generation per payment (repeats and concurrent calls share it), async jobs, refunds of
 * refused generations, files with expiry and ranges, a guide and try-it pages.
 *
 * @module
 */
export { createServicesApp, type ServicesApp, type ServicesAppOptions } from './app.js';
export { type ServiceCode, ServiceCodes } from './codes.js';
export {
  DEFAULT_CONFIG,
  type GeneratorSpec,
  type MusicPrice,
  musicPriceSats,
  parseServicesConfig,
  type ServicesConfig,
} from './config.js';
export { jsonRequestBinding } from './credential.js';
export { type ByteRange, fileResponse, parseRange } from './file-response.js';
export { type FileStore, MemoryFileStore, type StoredFile, type StoredFileInfo } from './files.js';
export { DirectoryFileStore } from './files-dir.js';
export { generatorsFromConfig } from './generators-config.js';
export { JobBook, type JobBookOptions, type JobRecord, type JobState } from './jobs.js';
export { serveServices } from './node.js';
export type { RefundRecord } from './refund.js';
export {
  AUDIO_FORMATS,
  BITRATE_RANGE,
  type Checked,
  checkModelRequest,
  checkMusicRequest,
  type FieldErrors,
  IMAGE_TYPES,
  MUSIC_EXAMPLE,
  MUSIC_MODEL,
  MUSIC_SCHEMA,
  modelSchema,
  SAMPLE_RATES,
} from './requests.js';
export { defineServices, routeOf, type ServiceDefinition } from './services.js';
