// Scripted visitors of the demo site in Debian's Chromium, driven by
// playwright-core. tests/e2e/browser_test.go runs this and checks what
// reached the collector. Usage: node visitors.mjs '<json options>'
//   { demo, collector, site, outputDir, otelBundle, userAgents: {name: ua} }
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const opts = JSON.parse(process.argv[2])
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
]
const pause = (ms) => new Promise((r) => setTimeout(r, ms))
const log = (...a) => console.log(new Date().toISOString(), ...a)

// visit starts a browser of its own for each visitor, with the visitor's
// user agent on the command line: a context's userAgent option does not
// reach the beacons Chromium sends while a page unloads (they would go out as
// HeadlessChrome, which the receiver drops as a bot).
async function visit(name, fn, contextOptions = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...args, '--user-agent=' + opts.userAgents[name]] })
  const context = await browser.newContext(contextOptions)
  // Outbound links lead to a stand-in: this machine has no internet access.
  await context.route('https://opentelemetry.io/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<p>opentelemetry.io stand-in</p>' }),
  )
  const page = await context.newPage()
  page.on('console', (m) => m.type() == 'error' && log(name, 'console:', m.text()))
  page.on('pageerror', (e) => log(name, 'page error:', e.message))
  // What the tracker sent and how the collector answered, for reading a failure.
  page.on('requestfailed', (r) => log(name, 'request failed:', r.method(), r.url(), r.failure()?.errorText))
  page.on('response', (r) => r.url().includes('/v1/logs') && log(name, 'intake answered', r.status(), r.request().resourceType()))
  await fn(page, context)
  await context.close()
  await browser.close()
  log(name, 'done')
}

// leave navigates away, which hides the page: the tracker then sends its
// engagement summary and flushes by sendBeacon.
async function leave(page) {
  await page.goto('about:blank')
  await pause(500)
}

const url = (path) => opts.demo + path

await visit('bouncer', async (page) => {
  await page.goto(url('/'))
  await pause(700)
  await leave(page)
})

await visit('reader', async (page, context) => {
  // The first batch sent by fetch is refused with a 503 and Retry-After: 2,
  // as an overloaded collector would: the tracker must send the same events
  // again, and not before the two seconds it was asked to wait.
  let refused = 0
  let refusedBody, refusedAt
  await context.route('**/v1/logs', (route) => {
    const req = route.request()
    if (refused == 0 && req.method() == 'POST') {
      refused++
      refusedBody = req.postData()
      refusedAt = Date.now()
      log('reader', 'intake refused 1 request with 503')
      return route.fulfill({
        status: 503,
        body: '{}',
        headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After', 'Retry-After': '2' },
      })
    }
    if (refusedBody && req.postData() == refusedBody) {
      const waited = Date.now() - refusedAt
      log('reader', waited >= 1900 ? 'the refused batch came again after its Retry-After' : `the refused batch came again after only ${waited} ms`)
      refusedBody = undefined
    }
    return route.continue()
  })
  await page.goto(url('/'))
  await pause(3500) // the first batch goes at 1 s, is refused, and is retried on this page
  await page.click('header >> text=Pricing')
  await page.waitForURL(url('/pricing'))
  await pause(600)
  await page.click('header >> text=Docs')
  await page.waitForURL(url('/docs'))
  for (let i = 1; i <= 5; i++) {
    await page.mouse.wheel(0, 2000)
    await pause(250)
  }
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
  await pause(800)
  await leave(page)
})

await visit('spa', async (page) => {
  await page.goto(url('/app/'))
  await pause(500)
  await page.click('#to-inbox')
  await pause(300)
  await page.click('#to-settings')
  await pause(300)
  await page.goBack()
  await page.waitForURL(url('/app/inbox'))
  await pause(300)
  await leave(page)
})

await visit('converter', async (page) => {
  await page.goto(url('/pricing'))
  await pause(500)
  await page.click('#signup')
  await pause(300)
  await page.click('header >> text=Home')
  await page.waitForURL(url('/'))
  await pause(300)
  const download = page.waitForEvent('download')
  await page.click('#download')
  await download
  await pause(300)
  await page.click('#outbound')
  await page.waitForURL('https://opentelemetry.io/')
  await pause(500)
})

await visit('otel', async (page) => {
  await page.goto(url('/otel'))
  const id = await page.evaluate((o) => window.sendPageViewWithOpenTelemetry(o), { collector: opts.collector, site: opts.site })
  log('otel', 'sent', id)
})

// Visitors who opted out send nothing: one through the site's own switch
// (localStorage footfall_ignore), one through Global Privacy Control.
const privateVisit = (name, init) =>
  visit(name, async (page, context) => {
    await context.addInitScript(init)
    await page.goto(url('/pricing'))
    await page.click('#signup')
    await pause(1200)
    await leave(page)
  })
await privateVisit('optout', () => {
  try {
    localStorage.setItem('footfall_ignore', 'true')
  } catch (e) {
    // about:blank has no storage.
  }
})
await privateVisit('gpc', () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }))

// An automated browser (Playwright sets navigator.webdriver) on the same
// site without data-allow-automation: footfall.js sends nothing.
await visit('automated', async (page) => {
  await page.goto(url('/no-opt-in/pricing'))
  log('automated', 'navigator.webdriver', await page.evaluate(() => navigator.webdriver))
  await page.click('#signup')
  await pause(1200)
  await leave(page)
})

// The returning visitor comes back 31 minutes later by the page's clock:
// Playwright's fake clock moves Date, so the events carry the later time.
await visit('returning', async (page, context) => {
  const start = Date.now()
  await context.clock.install({ time: start })
  await page.goto(url('/docs'))
  await pause(500)
  await leave(page)
  await context.clock.setSystemTime(start + 31 * 60 * 1000)
  await page.goto(url('/pricing'))
  await pause(500)
  // The demo page after the run, for reading a failure.
  mkdirSync(opts.outputDir, { recursive: true })
  await page.screenshot({ path: join(opts.outputDir, 'demo-pricing.png'), fullPage: true })
  await leave(page)
})

