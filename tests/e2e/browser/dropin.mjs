// Scripted visitors of pages that run third-party SDKs (Grafana Faro, the
// Plausible tracker) in Debian's Chromium. tests/e2e/dropin_test.go runs this
// and checks the numbers; with "capture" set, every body the SDKs post is
// written there as well (the golden inputs of the receiver's dropin package).
// Usage: node dropin.mjs '<json options>'
//   { site, collector, userAgents: {name: ua}, capture? }
import { chromium } from 'playwright-core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const opts = JSON.parse(process.argv[2])
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync']
const pause = (ms) => new Promise((r) => setTimeout(r, ms))
const log = (...a) => console.log(new Date().toISOString(), ...a)
let captured = 0

async function visit(name, fn) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...args, '--user-agent=' + opts.userAgents[name]] })
  const context = await browser.newContext()
  const page = await context.newPage()
  page.on('console', (m) => m.type() == 'error' && log(name, 'console:', m.text()))
  page.on('pageerror', (e) => log(name, 'page error:', e.message))
  page.on('requestfailed', (r) => log(name, 'request failed:', r.method(), r.url(), r.failure()?.errorText))
  page.on('request', (r) => {
    if (r.method() != 'POST' || !r.url().startsWith(opts.collector)) return
    log(name, 'sent', new URL(r.url()).pathname, r.headers()['content-type'])
    if (opts.capture) {
      mkdirSync(opts.capture, { recursive: true })
      writeFileSync(join(opts.capture, `${name}-${String(++captured).padStart(2, '0')}.json`), r.postData() ?? '')
    }
  })
  page.on('response', (r) => r.url().startsWith(opts.collector) && log(name, 'collector answered', r.status(), new URL(r.url()).pathname))
  await fn(page)
  await context.close()
  await browser.close()
  log(name, 'done')
}

// leave hides the page, as switching tabs does, so that the SDKs send what
// they keep for it (the web vitals reported on hide, Plausible's
// engagement), then navigates away.
async function leave(page) {
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
    Object.defineProperty(document, 'hidden', { value: true, configurable: true })
    document.dispatchEvent(new Event('visibilitychange'))
    window.dispatchEvent(new Event('pagehide'))
  })
  await pause(1500)
  await page.goto('about:blank')
  await pause(700)
}

const url = (path) => opts.site + path

// Each SDK: a reader (two pages, no goal) and a converter (pricing, then a
// signup worth 10 EUR), each a visitor and a session of its own.
for (const sdk of ['faro', 'plausible']) {
  await visit(sdk + '-reader', async (page) => {
    await page.goto(url(`/${sdk}/`))
    await pause(1200)
    await leave(page)
    await page.goto(url(`/${sdk}/blog/hello`))
    await pause(1200)
    await leave(page)
  })
  await visit(sdk + '-converter', async (page) => {
    await page.goto(url(`/${sdk}/pricing`))
    await pause(1200)
    await page.evaluate(sdk == 'faro' ? 'window.faroSignup()' : 'window.plausibleSignup()')
    await pause(1200)
    await leave(page)
  })
}
log('captured', captured, 'bodies')
