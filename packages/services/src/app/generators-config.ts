/**
 * The generators a configuration names: the embedded ones (offline, CPU), or hosted models
 * with their API keys taken from the environment passed in (the library itself never reads
 * `process.env`).
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';
import { MeshyModelGenerator } from '../generators/hosted/meshy.js';
import { ReplicateModelGenerator, ReplicateMusicGenerator } from '../generators/hosted/replicate.js';
import { EmbeddedModelGenerator } from '../generators/model/embedded-model.js';
import { EmbeddedMusicGenerator } from '../generators/music/embedded-music.js';
import type { ModelGenerator, MusicGenerator } from '../generators/types.js';
import type { GeneratorSpec, ServicesConfig } from './config.js';

function key(
  spec: Extract<GeneratorSpec, { apiKeyEnv: string }>,
  env: Record<string, string | undefined>,
  field: string,
) {
  const v = env[spec.apiKeyEnv];
  if (!v) {
    throw new FareboxError(
      ErrorCodes.CONFIG_INVALID,
      `${field}: the environment variable ${spec.apiKeyEnv} (the ${spec.provider} API key) is not set`,
      { data: { field: `${field}.apiKeyEnv` } },
    );
  }
  return { apiKey: v, ...(spec.baseUrl ? { baseUrl: spec.baseUrl } : {}) };
}

/**
 * Builds the generators of a configuration.
 *
 * @example
 * ```ts
 * import { generatorsFromConfig, parseServicesConfig } from '@farebox/services';
 * const generators = generatorsFromConfig(parseServicesConfig({}), {}); // the embedded pair
 * ```
 */
export function generatorsFromConfig(
  config: ServicesConfig,
  env: Record<string, string | undefined>,
): { music: MusicGenerator; model: ModelGenerator } {
  const m = config.generators.music;
  const music: MusicGenerator =
    m.provider === 'replicate'
      ? new ReplicateMusicGenerator({
          ...key(m, env, 'generators.music'),
          ...(m.model ? { model: m.model } : {}),
          timeoutMs: config.timeoutSeconds * 1000,
        })
      : new EmbeddedMusicGenerator();
  const d = config.generators['3d-model'];
  const limits = { maxBytes: config.maxImageBytes, maxSide: config.maxImageSide };
  const model: ModelGenerator =
    d.provider === 'replicate'
      ? new ReplicateModelGenerator({
          ...key(d, env, 'generators.3d-model'),
          model: d.model!,
          timeoutMs: config.timeoutSeconds * 1000,
        })
      : d.provider === 'meshy'
        ? new MeshyModelGenerator({
            ...key(d, env, 'generators.3d-model'),
            timeoutMs: config.timeoutSeconds * 1000,
          })
        : new EmbeddedModelGenerator({ limits });
  return { music, model };
}
