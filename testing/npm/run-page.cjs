// Loads one page in Debian's headless Chromium (through playwright-core) and reports what the page
// found. The page under test sets `window.__e2e = { done: true, ok: <bool>, results: [...] }` when it
// has finished; this runner waits for `done`, saves a screenshot, prints one JSON line on stdout
// ({ok, e2e, console, error}) and exits 0 only when the page said ok.
//
// usage: node run-page.cjs URL SCREENSHOT.png TIMEOUT_MS [INIT_SCRIPT.js]
// INIT_SCRIPT, when given, runs in the page before its own scripts (playwright's addInitScript): a test
// checks a page it does not own (e.g. the gateway's status page) from inside, on the page's own origin.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const [url, screenshot, timeoutArg, initScript] = process.argv.slice(2);
  const timeout = Number(timeoutArg || 60000);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'isthmus-chromium-'));
  const consoleLines = [];
  let context;
  const report = { ok: false, e2e: null, console: consoleLines, error: null };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    if (initScript) {
      await context.addInitScript({ path: initScript });
    }
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(url, { timeout });
    await page.waitForFunction(() => window.__e2e && window.__e2e.done === true, null, { timeout });
    report.e2e = await page.evaluate(() => window.__e2e);
    report.ok = report.e2e.ok === true;
    if (screenshot) {
      await page.screenshot({ path: screenshot, fullPage: true });
    }
  } catch (e) {
    report.error = String(e && e.stack || e);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(report.ok ? 0 : 1);
}

main();
