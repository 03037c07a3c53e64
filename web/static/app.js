// ratelord dashboard.
//
// Reads the daemon's own API: GET /v1/pools (every 2 s, and soon after any
// event) and the audit log, GET /v1/events. The log is followed live through
// its SSE stream (/v1/events?follow=1); when the stream is unavailable, or a
// token is needed (EventSource cannot send headers), the page polls
// /v1/events?after=<next> every 2 s instead.
//
// Every piece of text from the API reaches the page through textContent or an
// attribute: nothing from the API is ever parsed as HTML.
'use strict';

(() => {
  const POLL_MS = 2000;
  const BUCKET_MS = 10_000; // one chart bar
  const HISTORY_MS = 10 * 60_000; // the chart's span
  const BUCKETS = HISTORY_MS / BUCKET_MS;
  const HISTORY_CAP = 20_000; // history reaches back at most this many events (by seq)
  const PAGE = 5000;
  const DENIALS_KEPT = 200; // denial events kept for the list
  const DENIALS_SHOWN = 30; // entries shown, after folding repeats
  const FOLD_MS = 60_000; // repeats this close together fold into one entry
  const SOON_MS = HISTORY_MS; // "running dry" sooner than this earns a badge
  const TOKEN_KEY = 'ratelord.token';
  const EVENT_TYPES = ['grant', 'deny', 'settle', 'release', 'expire', 'observe', 'reload', 'hold'];
  const SVG = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    generation: 0, // bumped by every (re)start, so stale answers are dropped
    next: 0, // the highest event seq taken into account
    since: 0, // ms: the chart knows grants from here on
    grants: new Map(), // pool -> Map(bucket -> {units, grants})
    denies: new Map(), // pool -> Map(bucket -> count)
    denials: [], // deny events, newest first
    cards: new Map(), // pool -> card
    source: null, // the EventSource, when live
    pollTimer: 0,
    chartsDirty: true,
    lastBucket: 0,
    denialsTimer: 0,
    mode: ['loading', 'connecting…'], // how events arrive: shown again after an error clears
    skew: 0, // ms the daemon's clock is ahead of this browser's
  };

  /** now is the daemon's time, as best this page knows it. */
  const now = () => Date.now() + state.skew;

  /** AuthError is an answer 401: the daemon wants a (different) token. */
  class AuthError extends Error {}

  // ---- the API ----

  /** api GETs a path of the API (relative to the page) and returns its JSON. */
  async function api(path) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const resp = await fetch(path, { headers, cache: 'no-store' });
    if (resp.status === 401) throw new AuthError('the daemon wants a token');
    noteClock(resp);
    let body = null;
    try {
      body = await resp.json();
    } catch (_) {
      // not JSON: described by the status below
    }
    if (!resp.ok) {
      const msg = body && body.error && body.error.message;
      throw new Error(msg || `${resp.status} ${resp.statusText}`);
    }
    return body;
  }

  /**
   * noteClock corrects for a daemon whose clock differs from this browser's
   * by more than the Date header's one-second grain, so countdowns hold.
   */
  function noteClock(resp) {
    const date = Date.parse(resp.headers.get('Date') || '');
    if (Number.isNaN(date)) return;
    const off = date - Date.now();
    state.skew = Math.abs(off) > 2000 ? off : 0;
  }

  /** firstAfter returns the first event with a seq above seq, or null. */
  async function firstAfter(seq) {
    const page = await api(`v1/events?after=${seq}&limit=1`);
    return page.events[0] || null;
  }

  /** lastSeq finds the newest event's seq with a few one-event requests. */
  async function lastSeq() {
    if (!(await firstAfter(0))) return 0;
    let lo = 0; // an event above lo exists
    let hi = 1; // none above hi, once the loop is done
    while (await firstAfter(hi)) [lo, hi] = [hi, hi * 2];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await firstAfter(mid)) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /** cursorAt returns the smallest seq after which events are at or after t. */
  async function cursorAt(t, last) {
    let lo = -1;
    let hi = last;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const ev = await firstAfter(mid);
      if (!ev || Date.parse(ev.time) >= t) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /**
   * loadHistory reads the grants and denials of the last 10 minutes (at most
   * HISTORY_CAP events of each type), up to the newest event at its start.
   */
  async function loadHistory(gen) {
    const start = now();
    const last = await lastSeq();
    let after = last ? await cursorAt(start - HISTORY_MS, last) : 0;
    state.since = start - HISTORY_MS;
    if (after < last - HISTORY_CAP) {
      after = last - HISTORY_CAP;
      const first = await firstAfter(after);
      if (first) state.since = Date.parse(first.time);
    }
    for (const type of ['grant', 'deny']) {
      let cursor = after;
      while (cursor < last) {
        const page = await api(`v1/events?type=${type}&after=${cursor}&limit=${PAGE}`);
        if (gen !== state.generation) return;
        for (const ev of page.events) if (ev.seq <= last) record(ev);
        if (page.events.length < PAGE) break;
        cursor = page.next;
      }
    }
    state.next = last;
    renderDenialsSoon();
  }

  // ---- events ----

  /** onEvent takes one live event into account, once. */
  function onEvent(ev) {
    if (!ev || typeof ev.seq !== 'number' || ev.seq <= state.next) return;
    state.next = ev.seq;
    record(ev);
    if (ev.type === 'deny') renderDenialsSoon();
    refreshPoolsSoon(150);
  }

  /** record adds a grant or a denial to the charts and the denials list. */
  function record(ev) {
    const t = Date.parse(ev.time);
    const b = Math.floor(t / BUCKET_MS);
    const pools = ev.pools || {};
    if (ev.type === 'grant') {
      for (const [pool, units] of Object.entries(pools)) {
        const m = bucketsOf(state.grants, pool);
        const cell = m.get(b) || { units: 0, grants: 0 };
        cell.units += units;
        cell.grants += 1;
        m.set(b, cell);
      }
    } else if (ev.type === 'deny') {
      for (const pool of Object.keys(pools)) {
        const m = bucketsOf(state.denies, pool);
        m.set(b, (m.get(b) || 0) + 1);
      }
      state.denials.unshift(ev); // events come oldest first
      state.denials.length = Math.min(state.denials.length, DENIALS_KEPT);
    } else {
      return;
    }
    state.chartsDirty = true;
  }

  function bucketsOf(all, pool) {
    if (!all.has(pool)) all.set(pool, new Map());
    return all.get(pool);
  }

  /** follow streams events live, or polls for them when it cannot. */
  function follow(gen) {
    if (state.token || typeof EventSource === 'undefined') {
      poll(gen);
      return;
    }
    const es = new EventSource(`v1/events?follow=1&after=${state.next}`);
    state.source = es;
    const take = (msg) => {
      try {
        onEvent(JSON.parse(msg.data));
      } catch (_) {
        // a malformed event is skipped; the next pool refresh still shows the state
      }
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, take);
    es.onmessage = take;
    es.onopen = () => setMode('live', 'live');
    es.onerror = () => {
      if (gen !== state.generation) return;
      if (es.readyState === EventSource.CLOSED) {
        // refused (an old daemon, a proxy): poll from where the stream stopped
        es.close();
        state.source = null;
        poll(gen);
      } else {
        setMode('reconnecting', 'reconnecting…');
      }
    };
  }

  /** poll reads new events every POLL_MS. */
  async function poll(gen) {
    if (gen !== state.generation) return;
    try {
      for (let pages = 0; pages < 10; pages++) {
        const page = await api(`v1/events?after=${state.next}&limit=1000`);
        if (gen !== state.generation) return;
        page.events.forEach(onEvent);
        if (page.events.length < 1000) break;
      }
      setMode('polling', `polling every ${POLL_MS / 1000} s`);
    } catch (err) {
      failed(err, gen);
      if (err instanceof AuthError) return;
    }
    state.pollTimer = setTimeout(() => poll(gen), POLL_MS);
  }

  // ---- pools ----

  let poolsTimer = 0;
  let poolsDue = Infinity;
  let poolsBusy = false;

  /** refreshPoolsSoon asks for the pools within ms, unless already asked sooner. */
  function refreshPoolsSoon(ms) {
    const due = performance.now() + ms;
    if (poolsTimer && poolsDue <= due) return;
    clearTimeout(poolsTimer);
    poolsDue = due;
    poolsTimer = setTimeout(refreshPools, ms);
  }

  async function refreshPools() {
    poolsTimer = 0;
    poolsDue = Infinity;
    if (poolsBusy) {
      refreshPoolsSoon(100);
      return;
    }
    poolsBusy = true;
    const gen = state.generation;
    try {
      const body = await api('v1/pools');
      if (gen === state.generation) {
        renderPools(body.pools || []);
        if (document.body.dataset.state === 'error') setStatus(...state.mode);
      }
    } catch (err) {
      failed(err, gen);
    } finally {
      poolsBusy = false;
    }
    if (gen === state.generation && !document.body.hasAttribute('data-auth')) refreshPoolsSoon(POLL_MS);
  }

  /** renderPools shows pools in policy order, reusing each pool's card. */
  function renderPools(pools) {
    const box = $('pools');
    const seen = new Set();
    pools.forEach((ps, i) => {
      seen.add(ps.pool);
      let card = state.cards.get(ps.pool);
      if (!card) {
        card = makeCard(ps.pool);
        state.cards.set(ps.pool, card);
      }
      if (box.children[i] !== card.root) box.insertBefore(card.root, box.children[i] || null);
      updateCard(card, ps);
    });
    for (const [name, card] of state.cards) {
      if (!seen.has(name)) {
        card.root.remove();
        state.cards.delete(name);
      }
    }
    $('no-pools').hidden = pools.length > 0;
    document.body.dataset.loaded = 'true';
    state.chartsDirty = true;
    drawCharts();
  }

  /** el makes an element with a class and, optionally, text. */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** stat adds a labelled figure to a definition list and returns its value. */
  function stat(dl, label) {
    const box = el('div', 'stat');
    box.append(el('dt', '', label));
    const dd = el('dd');
    box.append(dd);
    dl.append(box);
    return dd;
  }

  function makeCard(name) {
    const root = el('article', 'pool');
    root.dataset.pool = name;
    const head = el('header', 'pool-head');
    head.append(el('h3', 'pool-name', name));
    const meta = el('span', 'pool-meta');
    const badges = el('span', 'badges');
    head.append(meta, badges);
    const limits = el('div', 'limits');
    const dl = el('dl', 'stats');
    const card = {
      root, meta, badges, limits,
      burn: stat(dl, 'burn rate'),
      forecast: stat(dl, 'forecast'),
      leases: stat(dl, 'open leases'),
      held: stat(dl, 'held until'),
    };
    const fig = el('figure', 'chart');
    card.svg = document.createElementNS(SVG, 'svg');
    card.svg.setAttribute('viewBox', `0 0 ${BUCKETS * 10} 48`);
    card.svg.setAttribute('preserveAspectRatio', 'none');
    card.svg.setAttribute('role', 'img');
    card.caption = el('figcaption');
    fig.append(card.svg, card.caption);
    card.observed = el('p', 'observed');
    root.append(head, limits, dl, fig, card.observed);
    return card;
  }

  function updateCard(card, ps) {
    const d = card.root.dataset;
    d.used = ps.used;
    d.remaining = ps.remaining;
    d.limit = ps.limit;
    d.leases = ps.leases_open;
    d.unit = ps.unit;
    card.unit = ps.unit;
    let meta = ps.unit;
    if (ps.identities) meta += ` · per identity, ${ps.identities} with state`;
    card.meta.textContent = meta;

    card.badges.replaceChildren();
    if (ps.held_until) card.badges.append(el('span', 'badge held', 'held'));
    if (ps.remaining <= 0) card.badges.append(el('span', 'badge out', 'exhausted'));
    else if (ps.exhausts_at && Date.parse(ps.exhausts_at) - now() < SOON_MS) {
      card.badges.append(el('span', 'badge warn', 'running dry'));
    }

    const limits = ps.limits && ps.limits.length ? ps.limits : [ps];
    card.limits.replaceChildren(...limits.map((l) => limitRow(l, ps.unit, limits.length > 1 && l.remaining === ps.remaining)));

    const rate = ps.burn_rate || 0;
    card.burn.textContent = rate ? `${fmtNum(rate)} ${ps.unit}/s` : 'idle';
    countdown(card.forecast, ps.exhausts_at, 'runs dry in ', 'running dry', '—');
    d.exhaustsAt = ps.exhausts_at || '';
    card.leases.textContent = ps.concurrency ? `${ps.leases_open} of ${ps.concurrency}` : String(ps.leases_open);
    if (ps.held_until) {
      card.held.textContent = '';
      const at = el('time', '', fmtClock(ps.held_until));
      at.dateTime = ps.held_until;
      const left = el('span', 'muted');
      countdown(left, ps.held_until, ' (in ', '', '', ')');
      card.held.append(at, left);
    } else {
      card.held.textContent = '—';
    }
    card.observed.textContent = observedText(ps.observed);
    card.observed.hidden = !ps.observed;
  }

  /** limitRow draws one limit: its rule, a used/remaining bar, its reset. */
  function limitRow(l, unit, tightest) {
    const row = el('div', tightest ? 'limit tightest' : 'limit');
    row.dataset.used = l.used;
    row.dataset.limit = l.limit;
    let rule = `${l.algorithm} · ${fmtInt(l.limit)} ${unit} / ${l.window}`;
    if (l.burst) rule += ` · burst ${fmtInt(l.burst)}`;
    row.append(el('div', 'rule', rule));
    const frac = l.limit > 0 ? Math.min(1, l.used / l.limit) : 0;
    const bar = el('div', 'bar');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(l.limit));
    bar.setAttribute('aria-valuenow', String(l.used));
    bar.setAttribute('aria-label', rule);
    const fill = el('div', frac >= 0.9 ? 'fill hot' : frac >= 0.7 ? 'fill warm' : 'fill');
    fill.style.width = `${(frac * 100).toFixed(1)}%`;
    bar.append(fill);
    const nums = el('div', 'nums');
    nums.append(el('span', 'used', `${fmtInt(l.used)} used`), el('span', 'left', `${fmtInt(l.remaining)} left`));
    const reset = el('span', 'reset');
    countdown(reset, ...resetCountdown(l));
    nums.append(reset);
    row.append(bar, nums);
    return row;
  }

  /**
   * resetCountdown says what a limit's reset_at means for its algorithm: a
   * fixed window resets; a bucket is full again; a sliding window frees its
   * oldest unit then, which matters only once nothing is left.
   */
  function resetCountdown(l) {
    if (l.used <= 0) return [null, '', '', 'full'];
    switch (l.algorithm) {
      case 'fixed':
        return [l.reset_at, 'resets in ', 'resetting', ''];
      case 'bucket':
        return [l.reset_at, 'full in ', 'full', ''];
      default:
        return [l.remaining <= 0 ? l.reset_at : null, 'next frees in ', 'freeing', ''];
    }
  }

  function observedText(o) {
    if (!o) return '';
    const known = (n) => (n >= 0 ? fmtInt(n) : '?');
    let s = `upstream (${o.source}) at ${fmtClock(o.at)}: ${known(o.remaining)} of ${known(o.limit)} left`;
    if (o.status) s += `, status ${o.status}`;
    return s;
  }

  // ---- charts ----

  /** drawCharts redraws every pool's chart when it has changed or time moved on. */
  function drawCharts() {
    const current = Math.floor(now() / BUCKET_MS);
    if (!state.chartsDirty && current === state.lastBucket) return;
    state.chartsDirty = false;
    state.lastBucket = current;
    const first = current - BUCKETS + 1;
    for (const all of [state.grants, state.denies]) {
      for (const m of all.values()) for (const b of m.keys()) if (b < first) m.delete(b);
    }
    for (const [name, card] of state.cards) drawChart(card, name, first);
  }

  function drawChart(card, name, first) {
    const grants = state.grants.get(name) || new Map();
    const denies = state.denies.get(name) || new Map();
    let peak = 1;
    let units = 0;
    let denied = 0;
    for (let b = first; b < first + BUCKETS; b++) {
      const c = grants.get(b);
      if (c) {
        peak = Math.max(peak, c.units);
        units += c.units;
      }
      denied += denies.get(b) || 0;
    }
    const svg = card.svg;
    svg.replaceChildren();
    const known = Math.floor(state.since / BUCKET_MS);
    if (known > first) svg.append(rect('nodata', 0, 0, Math.min(BUCKETS, known - first) * 10, 48));
    svg.append(rect('axis', 0, 43, BUCKETS * 10, 0.5));
    for (let i = 0; i < BUCKETS; i++) {
      const b = first + i;
      const c = grants.get(b);
      const n = denies.get(b) || 0;
      if (!c && !n) continue;
      const g = document.createElementNS(SVG, 'g');
      const title = document.createElementNS(SVG, 'title');
      let tip = `${fmtClock(new Date(b * BUCKET_MS))}: ${c ? `${fmtInt(c.units)} ${card.unit} in ${c.grants} grant${c.grants === 1 ? '' : 's'}` : 'no grants'}`;
      if (n) tip += `, ${n} denial${n === 1 ? '' : 's'}`;
      title.textContent = tip;
      g.append(title, rect('hit', i * 10, 0, 10, 48));
      if (c) {
        const h = Math.max(1.5, (c.units / peak) * 40);
        g.append(rect('grant', i * 10 + 1, 43 - h, 8, h));
      }
      if (n) g.append(rect('deny', i * 10 + 1, 45, 8, 3));
      svg.append(g);
    }
    svg.setAttribute('aria-label', `${name}: ${units} ${card.unit} granted and ${denied} denials in the last 10 minutes`);
    card.root.dataset.chartUnits = units;
    card.root.dataset.chartDenials = denied;
    card.caption.textContent = `last 10 min: ${fmtInt(units)} ${card.unit} granted` +
      (units ? `, peak ${fmtInt(peak)} per 10 s` : '') + (denied ? ` · ${denied} denied` : '');
  }

  function rect(cls, x, y, w, h) {
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('class', cls);
    r.setAttribute('x', x);
    r.setAttribute('y', y);
    r.setAttribute('width', w);
    r.setAttribute('height', h);
    return r;
  }

  // ---- denials ----

  /** renderDenialsSoon coalesces a burst of denials into one redraw. */
  function renderDenialsSoon() {
    if (state.denialsTimer) return;
    state.denialsTimer = setTimeout(() => {
      state.denialsTimer = 0;
      renderDenials();
    }, 100);
  }

  /**
   * renderDenials lists recent denials, newest first. A run of denials of
   * the same pools for the same reason, each within FOLD_MS of the next, is
   * one entry with its count and the identities involved.
   */
  function renderDenials() {
    const groups = [];
    for (const ev of state.denials) {
      const key = Object.keys(ev.pools || {}).join(',') + '\n' + ev.reason;
      const last = groups[groups.length - 1];
      if (last && last.key === key && Date.parse(last.oldest.time) - Date.parse(ev.time) <= FOLD_MS) {
        last.count++;
        last.oldest = ev;
        last.identities.add(ev.identity || '—');
      } else if (groups.length < DENIALS_SHOWN) {
        groups.push({ key, ev, oldest: ev, count: 1, identities: new Set([ev.identity || '—']) });
      } else {
        break;
      }
    }
    $('denials').replaceChildren(...groups.map(denialItem));
    $('no-denials').hidden = groups.length > 0;
  }

  function denialItem({ ev, oldest, count, identities }) {
    const li = el('li', 'denial');
    Object.assign(li.dataset, {
      seq: ev.seq, count, reason: ev.reason || '', identity: ev.identity || '',
      pools: Object.keys(ev.pools || {}).join(','),
    });
    const head = el('div', 'denial-head');
    const when = el('time', '', fmtClock(ev.time));
    when.dateTime = ev.time;
    when.title = count > 1 ? `${count} denials from ${fmtClock(oldest.time)} to ${fmtClock(ev.time)}` : ev.time;
    const pools = Object.entries(ev.pools || {}).map(([p, n]) => (n === 1 ? p : `${p} ×${fmtInt(n)}`)).join(', ');
    head.append(when, el('span', 'pools', pools || '—'));
    if (count > 1) head.append(el('span', 'count', `×${count}`));
    const who = el('div', 'denial-who');
    const names = [...identities];
    const ids = el('span', 'identity');
    names.slice(0, 3).forEach((name, i) => {
      const span = el('span', 'name', name);
      span.title = name;
      ids.append(i ? ', ' : '', span);
    });
    if (names.length > 3) ids.append(` and ${names.length - 3} more`);
    who.append(el('code', 'reason', ev.reason || '—'), ids);
    if (ev.priority) who.append(el('span', 'priority', ev.priority));
    li.append(head, who, el('div', 'message', ev.message || ''));
    return li;
  }

  // ---- time and numbers ----

  /**
   * countdown makes e show prefix + the time left until `at` (with suffix),
   * ticking every second; `done` once it is past, `none` when there is no `at`.
   */
  function countdown(e, at, prefix, done, none, suffix = '') {
    if (!at) {
      delete e.dataset.until;
      e.textContent = none;
      return;
    }
    Object.assign(e.dataset, { until: Date.parse(at), prefix, done, suffix });
    tickOne(e, now());
  }

  function tickOne(e, at) {
    const left = Number(e.dataset.until) - at;
    e.textContent = left > 0 ? e.dataset.prefix + fmtDuration(left) + e.dataset.suffix : e.dataset.done;
  }

  function tick() {
    const at = now();
    for (const e of document.querySelectorAll('[data-until]')) tickOne(e, at);
    drawCharts();
  }

  /** fmtDuration writes ms the way Go does, to the second: 42s, 3m12s, 1h5m, 2d3h. */
  function fmtDuration(ms) {
    const s = Math.ceil(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
    if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor(s / 60) % 60 ? `${Math.floor(s / 60) % 60}m` : ''}`;
    return `${Math.floor(s / 86400)}d${Math.floor(s / 3600) % 24}h`;
  }

  function fmtClock(t) {
    return new Date(t).toLocaleTimeString([], { hour12: false });
  }

  function fmtInt(n) {
    return Number(n).toLocaleString('en-US');
  }

  function fmtNum(n) {
    return n >= 100 ? fmtInt(Math.round(n)) : String(Number(n.toPrecision(n >= 1 ? 3 : 2)));
  }

  // ---- lifecycle ----

  /** setMode records how events arrive, and shows it. */
  function setMode(name, text) {
    state.mode = [name, text];
    setStatus(name, text);
  }

  function setStatus(name, text) {
    document.body.dataset.state = name;
    $('status').textContent = text;
  }

  /** failed shows an error; a 401 asks for a token instead. */
  function failed(err, gen) {
    if (gen !== state.generation) return;
    if (err instanceof AuthError) {
      askToken();
      return;
    }
    setStatus('error', `cannot reach the daemon: ${err.message}`);
  }

  function stop() {
    state.generation++;
    if (state.source) state.source.close();
    state.source = null;
    clearTimeout(state.pollTimer);
    clearTimeout(poolsTimer);
    poolsTimer = 0;
    poolsDue = Infinity;
  }

  function askToken() {
    const refused = Boolean(state.token);
    stop();
    document.body.setAttribute('data-auth', '');
    setStatus('auth', 'token required');
    $('auth').hidden = false;
    $('main').hidden = true;
    $('auth-error').hidden = !refused;
    $('auth-error').textContent = refused ? 'The daemon refused that token.' : '';
    $('token').focus();
  }

  /** start (re)loads everything: pools, the last 10 minutes of events, then follows. */
  async function start() {
    stop();
    const gen = state.generation;
    document.body.removeAttribute('data-auth');
    $('auth').hidden = true;
    $('main').hidden = false;
    $('forget').hidden = !state.token;
    state.grants.clear();
    state.denies.clear();
    state.denials = [];
    setMode('loading', 'connecting…');
    try {
      await refreshPools();
      if (gen !== state.generation) return;
      await loadHistory(gen);
      if (gen !== state.generation) return;
      state.chartsDirty = true;
      drawCharts();
      follow(gen);
    } catch (err) {
      failed(err, gen);
      if (!(err instanceof AuthError)) setTimeout(() => gen === state.generation && start(), 5000);
    }
  }

  $('auth').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('token').value = '';
    start();
  });
  $('forget').addEventListener('click', () => {
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    start();
  });
  setInterval(tick, 1000);
  start();
})();
