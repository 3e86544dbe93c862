// Footfall's tracker: page views (single-page apps included), tagged clicks,
// outbound links and downloads, engagement and web vitals on page hide, and
// custom events. Events go to the browserevents receiver as OTLP/HTTP JSON
// logs in the shape docs/events.md describes. No cookies, nothing stored.
//
// Written for size: the script-tag build must stay under 2 KB gzipped, so
// names are short where the minifier cannot shorten them.

const MAX_BATCH = 20
const MAX_RETRIES = 3
const DOWNLOAD = /\.(pdf|zip|gz|dmg|exe|msi|pkg|deb|apk|docx?|xlsx?|pptx?|csv|epub|mp[34]|mov|iso)$/i

// value encodes one attribute value as an OTLP AnyValue (v === !!v: a
// boolean; v % 1 == 0: Number.isInteger; both shorter when minified).
const value = (v) =>
  v === !!v
    ? { boolValue: v }
    : typeof v == 'number'
      ? v % 1 == 0
        ? { intValue: v }
        : { doubleValue: v }
      : { stringValue: '' + v }

const attributes = (o) => Object.keys(o).map((key) => ({ key, value: value(o[key]) }))

// uuid is the event id: a retry resends the same id, so no stage counts it
// twice. crypto.randomUUID needs a secure context; elsewhere 128 random bits
// from getRandomValues, which every browser has.
const uuid = () =>
  crypto.randomUUID ? crypto.randomUUID() : crypto.getRandomValues(new Uint32Array(4)).join('-')

// optedOut: Global Privacy Control, Do Not Track, or localStorage
// footfall_ignore=true (a site's own opt-out switch sets it).
const optedOut = (nav) => {
  try {
    if (localStorage.footfall_ignore == 'true') return true
  } catch (e) {
    // Storage blocked: nothing to read.
  }
  return nav.globalPrivacyControl || nav.doNotTrack == '1'
}

/**
 * createTracker starts tracking and returns track(name, props).
 * @param {{site: string, endpoint: string, hash?: boolean, webVitals?: boolean,
 *          flushMs?: number, respectPrivacy?: boolean, allowAutomation?: boolean}} o
 */
export function createTracker(o) {
  const w = window
  const d = document
  const nav = navigator
  const loc = location
  const now = () => Date.now()
  let queue = []
  let waiting = []
  let timer = 0
  let page = ''
  let referrer = d.referrer
  // Engagement: visible and focused time, and the deepest scroll, on this page.
  let engaged = 0
  let since = 0
  let depth = 0
  let vitals = {}

  // A browser driven by WebDriver (Selenium, Playwright, Puppeteer), or
  // PhantomJS, Nightmare or Cypress, as Plausible's script checks, sends
  // nothing unless the page allows it: those visits are tests and scrapers.
  if (
    (o.respectPrivacy !== false && optedOut(nav)) ||
    (!o.allowAutomation && (nav.webdriver || w._phantom || w.__nightmare || w.Cypress))
  )
    return () => {}

  const body = (records) =>
    JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: attributes({ 'footfall.site.id': o.site }) },
          scopeLogs: [{ scope: { name: 'footfall.js' }, logRecords: records }],
        },
      ],
    })

  // post sends with fetch keepalive and retries network errors, 429 and 5xx
  // with backoff, or after the Retry-After the collector asked for when that
  // is longer; the same records (and ids) go again. A string body goes as
  // text/plain, which the receiver reads as OTLP JSON and which, unlike
  // application/json, needs no CORS preflight: one round trip, not two.
  // Batches waiting for a retry leave by beacon if the page is hidden first.
  const post = (records, attempt) =>
    fetch(o.endpoint, { method: 'POST', body: body(records), keepalive: true })
      .then((r) => {
        if (r.status == 429 || r.status > 499) throw r.headers.get('Retry-After')
      })
      .catch((wait) => {
        if (attempt < MAX_RETRIES) {
          waiting.push(records)
          setTimeout(() => {
            if (waiting.includes(records)) {
              waiting = waiting.filter((b) => b != records)
              post(records, attempt + 1)
            }
          }, Math.max(1e3 << attempt, wait * 1e3 || 0))
        }
      })

  // flush sends what is queued; on page hide through sendBeacon, which the
  // browser delivers after the page is gone, falling back to fetch when the
  // beacon is refused (its quota is full).
  const flush = (hiding) => {
    clearTimeout(timer)
    timer = 0
    const batches = hiding ? waiting : []
    waiting = hiding ? [] : waiting
    while (queue.length) batches.push(queue.splice(0, MAX_BATCH))
    for (const records of batches)
      if (!(hiding && nav.sendBeacon && nav.sendBeacon(o.endpoint, body(records)))) post(records, 0)
  }

  const send = (name, props) => {
    queue.push({
      timeUnixNano: now() + '000000',
      eventName: name,
      attributes: attributes({ 'log.record.uid': uuid(), 'url.full': loc.href, ...props }),
    })
    if (queue.length >= MAX_BATCH) flush()
    else if (!timer) timer = setTimeout(flush, o.flushMs || 1e3)
  }

  const active = () => !d.hidden && d.hasFocus()
  const measure = () => {
    const t = now()
    if (since) engaged += t - since
    since = active() ? t : 0
  }
  const scroll = () => {
    const e = d.documentElement
    const h = e.scrollHeight
    depth = Math.max(depth, h ? Math.min(100, Math.round(((w.scrollY + w.innerHeight) / h) * 100)) : 100)
  }

  // leave reports the page being left or hidden: engaged time, scroll depth
  // and the web vitals measured so far.
  const leave = () => {
    measure()
    if (page) {
      send('browser.engagement', {
        'url.full': page,
        'footfall.engagement.time_ms': engaged,
        'footfall.engagement.scroll_depth': depth,
      })
    }
    for (const name in vitals) {
      send('browser.web_vital', {
        'url.full': page,
        'footfall.web_vital.name': name,
        'footfall.web_vital.value': vitals[name],
      })
    }
    vitals = {}
    engaged = 0
    measure()
  }

  const pageview = () => {
    const url = o.hash ? loc.href : loc.href.split('#')[0]
    if (url == page) return
    if (page) {
      leave()
      referrer = page
    }
    page = url
    depth = 0
    scroll()
    send('browser.page_view', { 'url.full': url, ...(referrer && { 'footfall.referrer': referrer }) })
  }

  const track = (name, props) => send(name, props || {})

  d.addEventListener(
    'click',
    (e) => {
      const el = e.target.closest('a,button,[data-footfall-event]')
      if (!el) return
      const name = el.getAttribute('data-footfall-event')
      if (name) {
        // data-footfall-prop-plan="pro" becomes the property plan=pro.
        const props = {}
        for (const a of el.attributes)
          if (!a.name.indexOf('data-footfall-prop-')) props[a.name.slice(19)] = a.value
        return track(name, props)
      }
      if (!el.href) return
      const u = new URL(el.href, loc.href)
      const kind = el.hasAttribute('download') || DOWNLOAD.test(u.pathname) ? 'download' : u.host != loc.host && /^http/.test(u.protocol) ? 'outbound' : ''
      if (kind) send('browser.click', { 'footfall.click.element': kind, 'footfall.link.url': u.href })
    },
    true,
  )

  for (const m of ['pushState', 'replaceState']) {
    const original = history[m]
    history[m] = function () {
      original.apply(this, arguments)
      pageview()
    }
  }
  w.addEventListener('popstate', pageview)
  if (o.hash) w.addEventListener('hashchange', pageview)
  w.addEventListener('scroll', scroll, { passive: true })
  w.addEventListener('focus', measure)
  w.addEventListener('blur', measure)
  d.addEventListener('visibilitychange', () => {
    if (d.hidden) {
      leave()
      flush(1)
    } else measure()
  })
  w.addEventListener('pagehide', () => flush(1))

  if (o.webVitals && w.PerformanceObserver) {
    const observe = (type, fn, options) => {
      try {
        new PerformanceObserver((list) => list.getEntries().forEach(fn)).observe({ type, buffered: true, ...options })
      } catch (e) {
        // This browser does not report that entry type.
      }
    }
    // CLS is the largest burst of layout shifts (shifts under 1s apart, at
    // most 5s in all), as web-vitals computes it.
    let burst = 0
    let first = 0
    let last = 0
    observe('largest-contentful-paint', (e) => (vitals.LCP = Math.round(e.startTime)))
    observe('layout-shift', (e) => {
      if (e.hadRecentInput) return
      if (burst && e.startTime - last < 1e3 && e.startTime - first < 5e3) burst += e.value
      else {
        burst = e.value
        first = e.startTime
      }
      last = e.startTime
      vitals.CLS = Math.max(vitals.CLS || 0, burst)
    })
    observe('event', (e) => e.interactionId && (vitals.INP = Math.max(vitals.INP || 0, e.duration)), { durationThreshold: 40 })
  }

  measure()
  pageview()
  return track
}
