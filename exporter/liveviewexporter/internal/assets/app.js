// The live dashboard: renders each snapshot pushed on /events (Server-Sent
// Events; the browser reconnects by itself and resumes with Last-Event-ID).
'use strict'

const charts = {}
const number = (v, digits = 0) => (v == null ? '–' : Number(v).toLocaleString('en', { maximumFractionDigits: digits }))
const percent = (v) => (v == null ? '–' : Math.round(v * 100) + '%')
const seconds = (v) => (v == null ? '–' : v < 60 ? Math.round(v) + ' s' : Math.round(v / 60) + ' min')

function el(tag, attrs, ...children) {
  const e = document.createElement(tag)
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v))
  children.forEach((c) => e.append(c))
  return e
}

function list(title, entries) {
  const ol = el('ol')
  if (!entries.length) ol.append(el('li', { class: 'empty' }, 'none yet'))
  entries.forEach((e) => ol.append(el('li', {}, el('span', {}, e.name || '(none)'), el('span', {}, number(e.value)))))
  return el('div', { 'data-list': title }, el('h3', {}, title), ol)
}

// The window the top lists show; one choice for every site.
let listWindow = 'today'
let lastSnapshot = null

// windowPicker is made once per site card and kept: were it made again at
// each snapshot (four a second), a click whose press and release straddled
// one would land on two different buttons and be lost.
function windowPicker() {
  const picker = el('div', { class: 'picker' })
  for (const [name, label] of [['5m', 'last 5 minutes'], ['1h', 'last hour'], ['today', 'today']]) {
    const b = el('button', { type: 'button', 'data-window': name }, label)
    b.addEventListener('click', () => {
      listWindow = name
      if (lastSnapshot) render(lastSnapshot)
    })
    picker.append(b)
  }
  return picker
}

function showWindowChoice(picker) {
  picker.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.window === listWindow)))
}

function siteCard(s) {
  let card = document.querySelector(`.site[data-site="${CSS.escape(s.site)}"]`)
  if (!card) {
    card = el('section', { class: 'site', 'data-site': s.site })
    card.append(
      el('h2', {}, s.site),
      el('div', { class: 'now' }, el('span', { class: 'current' }), el('span', {}, 'current visitors')),
      el('table', { class: 'windows' }),
      el('div', { class: 'chart' }),
      el('div', { class: 'picker-box' }, windowPicker()),
      el('div', { class: 'lists' }),
    )
    document.getElementById('sites').append(card)
  }
  card.querySelector('.current').textContent = number(s.current_visitors)
  const rows = [['', 'visitors', 'page views', 'sessions', 'bounce rate', 'avg duration']]
  for (const [name, label] of [['5m', 'last 5 minutes'], ['1h', 'last hour'], ['today', 'today']]) {
    const w = s.windows[name]
    rows.push([label, number(w.visitors), number(w.page_views), number(w.sessions), percent(w.bounce_rate), seconds(w.avg_duration_seconds)])
  }
  const table = card.querySelector('table.windows')
  table.replaceChildren(
    ...rows.map((r, i) => el('tr', { 'data-window': i ? ['5m', '1h', 'today'][i - 1] : 'head' }, ...r.map((c) => el(i ? 'td' : 'th', {}, c)))),
  )
  const data = [s.page_views_per_minute.map((p) => p.t), s.page_views_per_minute.map((p) => p.v)]
  const chartBox = card.querySelector('.chart')
  chartBox.dataset.total = data[1].reduce((a, b) => a + b, 0)
  if (!charts[s.site]) {
    charts[s.site] = new uPlot(
      {
        width: Math.min(1040, chartBox.clientWidth || 1040),
        height: 180,
        series: [{}, { label: 'page views per minute', stroke: '#3563e9', fill: 'rgba(53,99,233,.12)', points: { show: false } }],
        axes: [{}, { size: 50 }],
        scales: { y: { range: (u, min, max) => [0, Math.max(5, max)] } },
      },
      data,
      chartBox,
    )
  } else {
    charts[s.site].setData(data)
  }
  showWindowChoice(card.querySelector('.picker-box .picker'))
  const top = s.top[listWindow]
  const lists = card.querySelector('.lists')
  lists.dataset.window = listWindow
  lists.replaceChildren(
    list('Top pages', top.pages),
    list('Top sources', top.sources),
    list('Countries', top.countries),
    list('Devices', top.devices),
    list('Goals', top.goals),
    // Steps in their order, not by count.
    list('Funnels', [...top.funnels].sort((a, b) => a.name.localeCompare(b.name))),
  )
}

function render(snapshot) {
  lastSnapshot = snapshot
  const sites = document.getElementById('sites')
  if (!snapshot.sites.length) return
  sites.querySelector(':scope > .empty')?.remove()
  snapshot.sites.forEach(siteCard)
  document.getElementById('status').textContent = 'updated ' + new Date(snapshot.generated_at).toLocaleTimeString()
  document.body.dataset.seq = snapshot.seq
}

const events = new EventSource('/events')
events.addEventListener('snapshot', (e) => render(JSON.parse(e.data)))
events.onerror = () => (document.getElementById('status').textContent = 'reconnecting…')
