// src/core.js
var MAX_BATCH = 20;
var MAX_RETRIES = 3;
var DOWNLOAD = /\.(pdf|zip|gz|dmg|exe|msi|pkg|deb|apk|docx?|xlsx?|pptx?|csv|epub|mp[34]|mov|iso)$/i;
var value = (v) => v === !!v ? { boolValue: v } : typeof v == "number" ? v % 1 == 0 ? { intValue: v } : { doubleValue: v } : { stringValue: "" + v };
var attributes = (o) => Object.keys(o).map((key) => ({ key, value: value(o[key]) }));
var uuid = () => crypto.randomUUID ? crypto.randomUUID() : crypto.getRandomValues(new Uint32Array(4)).join("-");
var optedOut = (nav) => {
  try {
    if (localStorage.footfall_ignore == "true") return true;
  } catch (e) {
  }
  return nav.globalPrivacyControl || nav.doNotTrack == "1";
};
function createTracker(o) {
  const w = window;
  const d = document;
  const nav = navigator;
  const loc = location;
  const now = () => Date.now();
  let queue = [];
  let waiting = [];
  let timer = 0;
  let page = "";
  let referrer = d.referrer;
  let engaged = 0;
  let since = 0;
  let depth = 0;
  let vitals = {};
  if (o.respectPrivacy !== false && optedOut(nav) || !o.allowAutomation && (nav.webdriver || w._phantom || w.__nightmare || w.Cypress))
    return () => {
    };
  const body = (records) => JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: attributes({ "footfall.site.id": o.site }) },
        scopeLogs: [{ scope: { name: "footfall.js" }, logRecords: records }]
      }
    ]
  });
  const post = (records, attempt) => fetch(o.endpoint, { method: "POST", body: body(records), keepalive: true }).then((r) => {
    if (r.status == 429 || r.status > 499) throw r.headers.get("Retry-After");
  }).catch((wait) => {
    if (attempt < MAX_RETRIES) {
      waiting.push(records);
      setTimeout(() => {
        if (waiting.includes(records)) {
          waiting = waiting.filter((b) => b != records);
          post(records, attempt + 1);
        }
      }, Math.max(1e3 << attempt, wait * 1e3 || 0));
    }
  });
  const flush = (hiding) => {
    clearTimeout(timer);
    timer = 0;
    const batches = hiding ? waiting : [];
    waiting = hiding ? [] : waiting;
    while (queue.length) batches.push(queue.splice(0, MAX_BATCH));
    for (const records of batches)
      if (!(hiding && nav.sendBeacon && nav.sendBeacon(o.endpoint, body(records)))) post(records, 0);
  };
  const send = (name, props) => {
    queue.push({
      timeUnixNano: now() + "000000",
      eventName: name,
      attributes: attributes({ "log.record.uid": uuid(), "url.full": loc.href, ...props })
    });
    if (queue.length >= MAX_BATCH) flush();
    else if (!timer) timer = setTimeout(flush, o.flushMs || 1e3);
  };
  const active = () => !d.hidden && d.hasFocus();
  const measure = () => {
    const t = now();
    if (since) engaged += t - since;
    since = active() ? t : 0;
  };
  const scroll = () => {
    const e = d.documentElement;
    const h = e.scrollHeight;
    depth = Math.max(depth, h ? Math.min(100, Math.round((w.scrollY + w.innerHeight) / h * 100)) : 100);
  };
  const leave = () => {
    measure();
    if (page) {
      send("browser.engagement", {
        "url.full": page,
        "footfall.engagement.time_ms": engaged,
        "footfall.engagement.scroll_depth": depth
      });
    }
    for (const name in vitals) {
      send("browser.web_vital", {
        "url.full": page,
        "footfall.web_vital.name": name,
        "footfall.web_vital.value": vitals[name]
      });
    }
    vitals = {};
    engaged = 0;
    measure();
  };
  const pageview = () => {
    const url = o.hash ? loc.href : loc.href.split("#")[0];
    if (url == page) return;
    if (page) {
      leave();
      referrer = page;
    }
    page = url;
    depth = 0;
    scroll();
    send("browser.page_view", { "url.full": url, ...referrer && { "footfall.referrer": referrer } });
  };
  const track2 = (name, props) => send(name, props || {});
  d.addEventListener(
    "click",
    (e) => {
      const el = e.target.closest("a,button,[data-footfall-event]");
      if (!el) return;
      const name = el.getAttribute("data-footfall-event");
      if (name) {
        const props = {};
        for (const a of el.attributes)
          if (!a.name.indexOf("data-footfall-prop-")) props[a.name.slice(19)] = a.value;
        return track2(name, props);
      }
      if (!el.href) return;
      const u = new URL(el.href, loc.href);
      const kind = el.hasAttribute("download") || DOWNLOAD.test(u.pathname) ? "download" : u.host != loc.host && /^http/.test(u.protocol) ? "outbound" : "";
      if (kind) send("browser.click", { "footfall.click.element": kind, "footfall.link.url": u.href });
    },
    true
  );
  for (const m of ["pushState", "replaceState"]) {
    const original = history[m];
    history[m] = function() {
      original.apply(this, arguments);
      pageview();
    };
  }
  w.addEventListener("popstate", pageview);
  if (o.hash) w.addEventListener("hashchange", pageview);
  w.addEventListener("scroll", scroll, { passive: true });
  w.addEventListener("focus", measure);
  w.addEventListener("blur", measure);
  d.addEventListener("visibilitychange", () => {
    if (d.hidden) {
      leave();
      flush(1);
    } else measure();
  });
  w.addEventListener("pagehide", () => flush(1));
  if (o.webVitals && w.PerformanceObserver) {
    const observe = (type, fn, options) => {
      try {
        new PerformanceObserver((list) => list.getEntries().forEach(fn)).observe({ type, buffered: true, ...options });
      } catch (e) {
      }
    };
    let burst = 0;
    let first = 0;
    let last = 0;
    observe("largest-contentful-paint", (e) => vitals.LCP = Math.round(e.startTime));
    observe("layout-shift", (e) => {
      if (e.hadRecentInput) return;
      if (burst && e.startTime - last < 1e3 && e.startTime - first < 5e3) burst += e.value;
      else {
        burst = e.value;
        first = e.startTime;
      }
      last = e.startTime;
      vitals.CLS = Math.max(vitals.CLS || 0, burst);
    });
    observe("event", (e) => e.interactionId && (vitals.INP = Math.max(vitals.INP || 0, e.duration)), { durationThreshold: 40 });
  }
  measure();
  pageview();
  return track2;
}

// src/index.js
var tracker = null;
var pending = [];
function init(options) {
  if (tracker) return;
  tracker = createTracker(options);
  for (const args of pending.splice(0)) tracker(...args);
}
function track(name, props) {
  if (tracker) tracker(name, props);
  else pending.push([name, props]);
}
export {
  init,
  track
};
