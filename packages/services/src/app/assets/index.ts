/**
 * The app's static assets, served from `/assets/<name>`: everything the pages load comes from
 * here (no CDN, works offline).
 *
 * @module
 */
import { STYLE_CSS } from '../pages/layout.js';
import { TRY_SCRIPT } from './try-script.js';
import { VIEWER_SCRIPT } from './viewer-script.js';

/** Name → content type and text. */
export const ASSETS: Readonly<Record<string, { type: string; body: string }>> = Object.freeze({
  'style.css': { type: 'text/css; charset=utf-8', body: STYLE_CSS },
  'try.js': { type: 'text/javascript; charset=utf-8', body: TRY_SCRIPT },
  'viewer.js': { type: 'text/javascript; charset=utf-8', body: VIEWER_SCRIPT },
});
