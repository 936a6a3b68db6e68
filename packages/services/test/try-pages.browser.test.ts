/**
 * The try-it pages in a real browser (Debian's Chromium driven by playwright-core) against the
 * app over real HTTP on the dev node, with the real embedded generators. Each way to pay ends
 * with what was bought: the dev wallet button, paying out of band while the page polls the
 * invoice, and a WebLN wallet; the song plays in `<audio>`, the 3D model turns in the bundled
 * viewer (WebGL, and the 2D canvas fallback). Screenshots are kept in `test-artifacts/`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevNode } from '@farebox/lightning';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedModelGenerator, EmbeddedMusicGenerator } from '../src/generators/index.js';
import { createServicesApp, type ServicesApp, serveServices } from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebGL on the CPU (SwiftShader) when there is no GPU.
  '--enable-unsafe-swiftshader',
];
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/** Pixels of a canvas that differ from its background: the model was drawn. */
async function drawnPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.getElementById('viewer') as HTMLCanvasElement;
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d')!;
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i]! - 31) + Math.abs(d[i + 1]! - 41) + Math.abs(d[i + 2]! - 56) > 40) n++;
    }
    return n;
  });
}

async function viewerHash(page: Page): Promise<string> {
  return page.evaluate(() =>
    (document.getElementById('viewer') as HTMLCanvasElement).toDataURL().slice(-200),
  );
}

describe.skipIf(!existsSync(CHROMIUM))('the try-it pages in Chromium', () => {
  const node = new DevNode({ production: false });
  const wallet = new DevNode({ production: false });
  let app: ServicesApp;
  let url = '';
  let close: () => Promise<void>;
  let browser: Browser;
  let picture = '';
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The embedded generators; the 3D one is held back 1.5 s (reporting progress) so the page's
    // progress bar can be seen.
    const model = new EmbeddedModelGenerator();
    app = await createServicesApp({
      lightning: node,
      generators: {
        music: new EmbeddedMusicGenerator(),
        model: {
          name: 'embedded-relief, slowed',
          async generate(req, opts) {
            for (let i = 1; i <= 5; i++) {
              await new Promise((r) => setTimeout(r, 300));
              opts?.onProgress?.(i * 0.1, 'thinking it over');
            }
            return model.generate(req, opts);
          },
        },
      },
    });
    const s = await serveServices(app);
    url = s.url;
    close = s.close;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    // A picture of an object on a white background: an orange on a plate.
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="100%" height="100%" fill="#fff"/>' +
        '<ellipse cx="160" cy="190" rx="120" ry="28" fill="#94a3b8"/>' +
        '<circle cx="160" cy="125" r="80" fill="#f97316"/><circle cx="135" cy="100" r="22" fill="#fdba74"/>' +
        '<rect x="154" y="30" width="10" height="28" fill="#713f12"/><ellipse cx="185" cy="42" rx="24" ry="9" fill="#15803d"/></svg>',
    );
    picture = join(tmpdir(), `farebox-orange-${process.pid}.png`);
    writeFileSync(picture, await sharp(svg).png().toBuffer());
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await close?.();
    await node.close();
    await wallet.close();
  });

  async function open(path: string, setup?: (ctx: BrowserContext) => Promise<void>) {
    const ctx = await browser.newContext({ viewport: { width: 900, height: 1300 } });
    contexts.push(ctx);
    if (setup) await setup(ctx);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      // The browser logs the API's expected 400 and 402 answers as failed loads.
      if (m.type() === 'error' && !/status of 40[02] /.test(m.text())) errors.push(m.text());
    });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
        external.push(r.url());
    });
    const res = await page.goto(`${url}${path}`);
    expect(res!.status()).toBe(200);
    return { page, errors, external };
  }

  it('the home page: the guide, the notice, both services', async () => {
    const { page, errors, external } = await open('/');
    await expect(page.locator('.notice').textContent()).resolves.toContain('dev node: no real money');
    expect(await page.locator('#music h2').textContent()).toBe('Using the L402 Music Generation API');
    expect(await page.locator('[id="3d-model"] h2').textContent()).toBe(
      'Using the L402 3D Model Generation API',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'services-home.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it('music: field errors before any invoice, then the dev wallet pays and the song plays', async () => {
    const { page, errors, external } = await open('/try/music');
    await page.fill('#f-prompt', 'short');
    await page.click('#submit');
    await page.locator('#err-prompt').waitFor({ state: 'visible' });
    expect(await page.locator('#err-prompt').textContent()).toMatch(/10-300 characters/);
    expect(await page.locator('#pay').isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-music-invalid.png') });

    await page.fill('#f-prompt', 'dreamy lo-fi pop with soft piano');
    await page.fill('#f-lyrics', 'Stars above the sleeping town, hum along');
    await page.click('#submit');
    await page.locator('#pay').waitFor({ state: 'visible' });
    await page.waitForFunction(
      () => (document.getElementById('pay-qr') as HTMLImageElement).naturalWidth > 0,
    );
    expect(await page.locator('#pay-amount').textContent()).toBe('250 sats');
    expect(await page.locator('#pay-webln').isHidden()).toBe(true);
    expect(await page.locator('#pay-invoice').inputValue()).toMatch(/^lnbcrt2500n1/);
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-music-invoice.png') });
    await page.click('#pay-dev');
    await page.locator('#result').waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => {
      const a = document.getElementById('player') as HTMLAudioElement;
      return a.readyState >= 1 && a.duration > 1;
    });
    const duration = await page.evaluate(
      () => (document.getElementById('player') as HTMLAudioElement).duration,
    );
    expect(duration).toBeGreaterThan(1);
    expect(await page.locator('#download').getAttribute('href')).toMatch(/\/files\/.+\.mp3$/);
    expect(await page.locator('#status').textContent()).toContain('Your song is ready');
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-music-result.png') });
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);

  it('music with a WebLN wallet, as WAV', async () => {
    const { page, errors } = await open('/try/music', async (ctx) => {
      await ctx.exposeBinding(
        '__pay',
        async (_src, invoice: string) => (await wallet.payInvoice(invoice)).preimage,
      );
      await ctx.addInitScript(() => {
        (window as unknown as { webln: unknown }).webln = {
          enable: async () => {},
          sendPayment: async (pr: string) => ({
            preimage: await (window as unknown as { __pay(i: string): Promise<string> }).__pay(pr),
          }),
        };
      });
    });
    await page.selectOption('#f-format', 'wav');
    await page.selectOption('#f-rate', '22050');
    await page.fill('#f-lyrics', 'Rain on the window, sing it slow');
    await page.click('#submit');
    await page.locator('#pay-webln').waitFor({ state: 'visible' });
    await page.click('#pay-webln');
    await page.locator('#result').waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => (document.getElementById('player') as HTMLAudioElement).duration > 1);
    expect(await page.locator('#download').getAttribute('href')).toMatch(/\.wav$/);
    expect(errors).toEqual([]);
  }, 120_000);

  it('3D: upload a picture, pay out of band while the page polls, watch progress, turn the model (WebGL)', async () => {
    const { page, errors, external } = await open('/try/3d-model');
    await page.setInputFiles('#f-image', picture);
    await page.locator('#image-preview').waitFor({ state: 'visible' });
    await page.click('#submit');
    await page.locator('#pay').waitFor({ state: 'visible' });
    const invoice = await page.locator('#pay-invoice').inputValue();
    await page.waitForFunction(
      () => (document.getElementById('pay-qr') as HTMLImageElement).naturalWidth > 0,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-3d-invoice.png') });
    await wallet.payInvoice(invoice);
    await page.locator('#progress-box').waitFor({ state: 'visible' });
    await page.waitForFunction(
      () => Number((document.getElementById('progress') as HTMLProgressElement).value) > 0.1,
    );
    expect(await page.locator('#stage').textContent()).toMatch(/thinking it over \(\d+%\)/);
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-3d-progress.png') });
    await page.locator('#viewer[data-ready="1"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('#viewer').getAttribute('data-renderer')).toBe('webgl');
    expect(Number(await page.locator('#viewer').getAttribute('data-triangles'))).toBeGreaterThan(1000);
    expect(await page.locator('#viewer-info').textContent()).toMatch(/triangles, drawn with WebGL/);
    expect(await drawnPixels(page)).toBeGreaterThan(5000);
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-3d-webgl.png') });
    // Orbit with the mouse: the picture changes.
    const before = await viewerHash(page);
    const box = (await page.locator('#viewer').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 160, box.y + box.height / 2 + 60, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(100);
    expect(await viewerHash(page)).not.toBe(before);
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-3d-webgl-turned.png') });
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);

  it('3D with the sample picture and the dev wallet, drawn by the 2D canvas fallback', async () => {
    const { page, errors } = await open('/try/3d-model#2d');
    await page.click('#sample-image');
    await page.click('#submit');
    await page.locator('#pay-dev').waitFor({ state: 'visible' });
    await page.click('#pay-dev');
    await page.locator('#viewer[data-ready="1"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('#viewer').getAttribute('data-renderer')).toBe('2d');
    expect(await drawnPixels(page)).toBeGreaterThan(5000);
    await page.screenshot({ path: join(ARTIFACTS, 'services-try-3d-canvas2d.png') });
    expect(errors).toEqual([]);
  }, 120_000);
});
