// JobTracking dashboard: confirmations before commands, live updates by Server-Sent Events, and times in the reader's
// time zone. Every text that comes from a job is set with textContent; HTML is only taken from the dashboard's own pages.
// The words the script writes come from the page, in its language (the body's data-texts, JSON; no inline script), and
// numbers and dates are written for the page's lang with Intl.
// A burst of thousands of events costs little: events are kept per job (the newest version wins) and shown once per
// animation frame, the rows a page lacks are asked for in one request at a time, the page never holds more rows than
// its size, toasts merge, and the counts are read at most once a second.
(function () {
'use strict';

// The page's words (the body's data-texts) and its language: "{0} jobs started" filled with numbers written as the
// language writes them ("1,950"; in French "1 950"), singular or plural as Intl.PluralRules says (French: 0 and 1 take
// the singular).
var L = (function () {
  var texts = {};
  try { texts = JSON.parse(document.body.getAttribute('data-texts') || '{}') || {}; } catch (e) { texts = {}; }
  var lang = document.documentElement.getAttribute('lang') || 'en';
  var rules = null;
  try { rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null; } catch (e) { rules = null; }

  function t(key) { return typeof texts[key] === 'string' ? texts[key] : key; }

  // Placeholders {0}, {1} (a .NET format such as {0:0.0} is written by the caller).
  function fmt(template, args) {
    return template.replace(/\{(\d+)(?::[^}]*)?\}/g, function (all, i) { return args[Number(i)] === undefined ? all : String(args[Number(i)]); });
  }

  function num(n, options) {
    try { return n.toLocaleString(lang, options); } catch (e) { return String(n); }
  }

  function plural(key, n) {
    var forms = texts[key] || {};
    var form = rules && rules.select(n) === 'one' ? forms.one : (n === 1 ? forms.one : forms.other);
    return fmt(form || forms.other || key, [num(n)]);
  }

  function status(data) {
    var labels = texts.Status || {};
    return labels[data.status === 'Completed' && data.warningCount > 0 ? 'CompletedWithWarnings' : data.status] || data.statusLabel;
  }

  return { lang: lang, t: t, fmt: fmt, num: num, plural: plural, status: status };
})();

(function () {
  'use strict';
  var body = document.body;
  var base = body.getAttribute('data-base');
  var kind = body.getAttribute('data-kind');
  var jobId = body.getAttribute('data-job');

  // A command runs once confirmed; without this script the server asks on a page of its own.
  document.addEventListener('click', function (e) {
    var button = e.target.closest ? e.target.closest('button[data-confirm]') : null;
    if (!button) { return; }
    if (button.hasAttribute('data-confirm-count') && button.form && window.fetch && window.URLSearchParams) {
      e.preventDefault();
      confirmWithCount(button);
      return;
    }
    if (!window.confirm(button.getAttribute('data-confirm'))) { e.preventDefault(); return; }
    setConfirmed(button.form);
  });

  function setConfirmed(form) {
    var field = form ? form.querySelector('input[name="confirmed"]') : null;
    if (field) { field.value = 'yes'; }
  }

  // "Cancel all" and "Restart all" ask the server's own question, which says how many jobs would change: the form
  // posted unconfirmed answers the confirmation page, whose question is read here (nothing changes until confirmed).
  function confirmWithCount(button) {
    var form = button.form;
    var fields = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== 'confirmed' && name !== 'id') { fields.append(name, value); }
    });
    fields.set(button.name, button.value);
    var fallback = button.getAttribute('data-confirm');
    fetch(form.action, { method: 'POST', body: fields, headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var question = html ? new DOMParser().parseFromString(html, 'text/html').querySelector('.jt-question') : null;
        return question ? question.textContent : fallback;
      }, function () { return fallback; })
      .then(function (question) {
        if (!window.confirm(question)) { return; }
        setConfirmed(form);
        if (form.requestSubmit) {
          form.requestSubmit(button);
        } else {
          var command = document.createElement('input');
          command.type = 'hidden';
          command.name = button.name;
          command.value = button.value;
          form.appendChild(command);
          form.submit();
        }
      });
  }

  if (!window.EventSource || !window.Map || !window.Set || (kind !== 'tracker' && kind !== 'job')) { return; }

  var MaxToasts = 3;
  var ToastTime = 8000;
  // The most rows one request asks for: the server's bound.
  var MaxRowsPerRequest = 100;
  var CountsInterval = 1000;
  var AnnounceInterval = 2000;

  var toggle = document.getElementById('jt-live-toggle');
  var state = document.getElementById('jt-live-state');
  var source = null;
  var userPaused = false;
  var broken = false;
  var refreshTimer = null;

  // The newest event of each job, and the jobs whose newest event the page does not show yet.
  var latest = new Map();
  var dirty = new Set();
  var frameRequested = false;
  var started = [];
  var finished = [];

  // Jobs created since the page was built; those of them whose row is wanted, being fetched, left out of a full page
  // (counted in the "new jobs" bar), or left out by the page's filters (at a version: a newer one may match).
  var fresh = new Set();
  var wanted = [];
  var wantedSet = new Set();
  var fetching = new Set();
  var counted = new Set();
  var rejected = new Map();
  var fetchingRows = false;
  var barChanged = false;

  function setState(text) { state.textContent = text; }

  function badge(cssClass, label) {
    var span = document.createElement('span');
    span.className = 'jt-badge ' + cssClass;
    var dot = document.createElement('span');
    dot.className = 'jt-dot';
    dot.setAttribute('aria-hidden', 'true');
    span.appendChild(dot);
    span.appendChild(document.createTextNode(label));
    return span;
  }

  function percentText(progress) {
    return progress.percent === null || progress.percent === undefined
      ? (progress.done > 0 ? L.plural('Progress.Done', progress.done) : '—')
      : L.fmt(L.t('Progress.Percent'), [L.num(Math.round(progress.percent))]);
  }

  // A bar only where the total is known (one without a value moves for ever): made when a total first arrives.
  function progressBar(row, progress) {
    var cell = row.querySelector('.jt-progress');
    var bar = cell ? cell.querySelector('progress') : null;
    if (progress.percent === null || progress.percent === undefined) {
      if (bar) { bar.remove(); }
      return;
    }
    if (!bar && cell) {
      bar = document.createElement('progress');
      bar.max = 100;
      var name = row.querySelector('.jt-name a');
      bar.setAttribute('aria-label', L.fmt(L.t('Progress.Of'), [name ? name.textContent : L.t('Toast.TheJob')]));
      cell.insertBefore(document.createTextNode(' '), cell.firstChild);
      cell.insertBefore(bar, cell.firstChild);
    }
    if (bar) { bar.value = progress.percent; }
  }

  // A template whose {0}, {1} are nodes or texts: "{0} started" with {0} the job's link.
  function fill(parent, template, parts) {
    template.split(/(\{\d+\})/).forEach(function (piece) {
      var match = /^\{(\d+)\}$/.exec(piece);
      var part = match ? parts[Number(match[1])] : piece;
      if (part === undefined || part === '') { return; }
      parent.appendChild(typeof part === 'string' ? document.createTextNode(part) : part);
    });
  }

  // Toasts: one per job while they are few, then one per kind that counts them; never more than MaxToasts.
  function toastBox() { return document.getElementById('jt-toasts'); }

  function removeToast(item) {
    window.clearTimeout(item.jtTimer);
    item.remove();
  }

  function keepToast(item) {
    window.clearTimeout(item.jtTimer);
    item.jtTimer = window.setTimeout(function () { item.remove(); }, ToastTime);
  }

  function newToast(type, statusClass) {
    var item = document.createElement('div');
    item.className = 'jt-toast';
    item.setAttribute('data-toast', type);
    item.appendChild(badge(statusClass, ''));
    var message = document.createElement('span');
    item.appendChild(message);
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'jt-toast-close';
    close.setAttribute('aria-label', L.t('Toast.Close'));
    close.textContent = '×';
    close.addEventListener('click', function () { removeToast(item); });
    item.appendChild(close);
    return item;
  }

  function makeRoom(box) {
    while (box.children.length >= MaxToasts) {
      // The oldest single toast goes first: a merged one still counts what comes.
      removeToast(box.querySelector('.jt-toast:not(.jt-toast-merged)') || box.firstElementChild);
    }
  }

  function toastGroup(type, events) {
    var box = toastBox();
    if (!box || events.length === 0) { return; }
    var merged = box.querySelector('.jt-toast-merged[data-toast="' + type + '"]');
    if (!merged && events.length === 1 && box.children.length < MaxToasts) {
      var data = events[0];
      var item = newToast(type, data.statusClass);
      item.setAttribute('data-job-id', data.id);
      var link = document.createElement('a');
      link.href = base + '/' + data.id;
      link.textContent = data.displayName;
      fill(item.children[1], L.t(type === 'started' ? 'Toast.Started' : 'Toast.Finished'), [link, L.status(data)]);
      box.appendChild(item);
      keepToast(item);
      return;
    }
    if (!merged) {
      makeRoom(box);
      merged = newToast(type, events[events.length - 1].statusClass);
      merged.classList.add('jt-toast-merged');
      merged.jtCount = 0;
      merged.jtFailed = 0;
      merged.jtCancelled = 0;
      box.appendChild(merged);
    }
    events.forEach(function (e) {
      merged.jtCount++;
      if (e.status === 'Failed') { merged.jtFailed++; }
      if (e.status === 'Cancelled') { merged.jtCancelled++; }
    });
    merged.setAttribute('data-count', String(merged.jtCount));
    merged.children[1].textContent = L.plural(type === 'started' ? 'Toast.StartedMany' : 'Toast.FinishedMany', merged.jtCount) + details(merged.jtFailed, merged.jtCancelled);
    keepToast(merged);
  }

  function details(failed, cancelled) {
    var parts = [];
    if (failed > 0) { parts.push(L.plural('Toast.Failed', failed)); }
    if (cancelled > 0) { parts.push(L.plural('Toast.Cancelled', cancelled)); }
    return parts.length === 0 ? '' : L.fmt(L.t('Toast.Details'), [parts.join(L.t('Toast.Separator'))]);
  }

  // What screen readers hear: a summary every AnnounceInterval at most, not each toast.
  var heard = { started: 0, finished: 0, failed: 0, cancelled: 0, last: null };
  var announceTimer = null;
  var announcedAt = 0;

  function hear(type, events) {
    events.forEach(function (e) {
      heard[type]++;
      if (e.status === 'Failed') { heard.failed++; }
      if (e.status === 'Cancelled') { heard.cancelled++; }
      heard.last = { type: type, data: e };
    });
    if (announceTimer !== null || events.length === 0) { return; }
    announceTimer = window.setTimeout(announce, Math.max(0, announcedAt + AnnounceInterval - Date.now()));
  }

  function announce() {
    announceTimer = null;
    announcedAt = Date.now();
    var region = document.getElementById('jt-announce');
    var text;
    if (heard.started + heard.finished === 1) {
      var d = heard.last.data;
      text = heard.last.type === 'started' ? L.fmt(L.t('Announce.Started'), [d.displayName]) : L.fmt(L.t('Announce.Finished'), [d.displayName, L.status(d)]);
    } else {
      var parts = [];
      if (heard.started > 0) { parts.push(L.plural('Toast.StartedMany', heard.started)); }
      if (heard.finished > 0) { parts.push(L.plural('Toast.FinishedMany', heard.finished) + details(heard.failed, heard.cancelled)); }
      text = parts.join(L.t('Toast.Separator')) + '.';
    }
    heard = { started: 0, finished: 0, failed: 0, cancelled: 0, last: null };
    if (region) { region.textContent = text; }
  }

  function updateRow(row, data) {
    row.setAttribute('data-status', data.status);
    row.setAttribute('data-version', String(data.version));
    var status = row.querySelector('.jt-status');
    if (status) { status.replaceChildren(badge(data.statusClass, L.status(data))); }
    progressBar(row, data.progress);
    var percent = row.querySelector('.jt-percent');
    if (percent) { percent.textContent = percentText(data.progress); percent.classList.toggle('jt-none', percentText(data.progress) === '—'); }
    var warnings = row.querySelector('.jt-warnings');
    if (warnings) { warnings.textContent = String(data.warningCount); }
  }

  // A row rendered at a newer version than the event (fetched after it) is left as it is.
  function applyToRow(row, data) {
    if (data.version >= (Number(row.getAttribute('data-version')) || 0)) { updateRow(row, data); }
  }

  function rowIndex() {
    var index = new Map();
    var rows = document.getElementById('jt-rows');
    if (rows) {
      Array.prototype.forEach.call(rows.rows, function (row) { index.set(row.getAttribute('data-job-id'), row); });
    }
    return index;
  }

  function pageSize() {
    var rows = document.getElementById('jt-rows');
    return (rows && Number(rows.getAttribute('data-page-size'))) || 50;
  }

  // Only the first page (it carries its query) takes the jobs that appear; an older page stays as it is.
  function showJob(id, index) {
    var data = latest.get(id);
    var row = index.get(id);
    if (row) { applyToRow(row, data); return; }
    if (wantedSet.has(id) || fetching.has(id)) { return; }
    if (fresh.has(id) && body.getAttribute('data-query') !== null && !(rejected.get(id) >= data.version)) {
      wanted.push(id);
      wantedSet.add(id);
      return;
    }
    // Nothing on this page shows the job: its event is not kept.
    latest.delete(id);
  }

  function countNew(id) {
    counted.add(id);
    fresh.delete(id);
    latest.delete(id);
    barChanged = true;
  }

  // "N new jobs — show": the jobs a full first page leaves out, and a link to the first page as it is now.
  function updateBar() {
    barChanged = false;
    var bar = document.getElementById('jt-new-jobs');
    if (counted.size === 0) {
      if (bar) { bar.remove(); }
      return;
    }
    if (!bar) {
      var form = document.querySelector('#jt-main .jt-bulk');
      if (!form) { return; }
      bar = document.createElement('p');
      bar.id = 'jt-new-jobs';
      bar.className = 'jt-new-jobs';
      bar.appendChild(document.createElement('span'));
      bar.appendChild(document.createTextNode(' — '));
      var link = document.createElement('a');
      link.href = base + (body.getAttribute('data-query') || '');
      link.textContent = L.t('NewJobs.Show');
      bar.appendChild(link);
      form.parentNode.insertBefore(bar, form);
    }
    bar.firstChild.textContent = L.plural('NewJobs.Count', counted.size);
  }

  // One request at a time, for up to MaxRowsPerRequest rows. Without filters every new job belongs on the page, so
  // only the ones it has room for are asked for; with filters the server says which match.
  function requestRows() {
    var rows = document.getElementById('jt-rows');
    var query = body.getAttribute('data-query');
    if (fetchingRows || wanted.length === 0 || !rows || query === null) { return; }
    var room = pageSize() - rows.rows.length;
    var filtered = rows.hasAttribute('data-filtered');
    // Long filters leave room for fewer ids in the request line (servers refuse lines of about 8 KB).
    var most = Math.max(1, Math.min(MaxRowsPerRequest, Math.floor((6000 - query.length) / 40)));
    var batch = [];
    var taken = 0;
    for (; taken < wanted.length && batch.length < most; taken++) {
      var id = wanted[taken];
      wantedSet.delete(id);
      if (!filtered && batch.length >= room) { countNew(id); } else { batch.push(id); }
    }
    wanted.splice(0, taken);
    if (barChanged) { updateBar(); }
    if (batch.length === 0) { return; }
    fetchingRows = true;
    batch.forEach(function (id) { fetching.add(id); });
    var url = base + '/rows' + (query.length > 0 ? query + '&' : '?') + 'id=' + batch.map(encodeURIComponent).join('&id=');
    fetch(url, { headers: { Accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { insertRows(batch, html); } }, function () { })
      .then(function () {
        fetchingRows = false;
        // Events that came while the rows were on their way are shown now, on the rows (or fetched again: a failed request).
        batch.forEach(function (id) {
          fetching.delete(id);
          if (latest.has(id)) { dirty.add(id); }
        });
        schedule();
      });
  }

  function insertRows(batch, html) {
    var rows = document.getElementById('jt-rows');
    if (!rows) { return; }
    var template = document.createElement('template');
    template.innerHTML = html;
    var received = new Map();
    Array.prototype.forEach.call(template.content.querySelectorAll('tr[data-job-id]'), function (tr) {
      received.set(tr.getAttribute('data-job-id'), tr);
    });
    var index = rowIndex();
    var size = pageSize();
    // Asked for oldest first; each goes on top, so the newest ends first.
    batch.forEach(function (id) {
      var row = received.get(id);
      var data = latest.get(id);
      if (!row) {
        rejected.set(id, data ? data.version : 0);
        return;
      }
      if (index.has(id)) { return; }
      if (rows.rows.length >= size) {
        countNew(id);
        return;
      }
      rows.insertBefore(row, rows.firstChild);
      fresh.delete(id);
      if (data) { applyToRow(row, data); }
    });
    var empty = document.getElementById('jt-empty');
    if (empty && rows.rows.length > 0) { empty.remove(); }
    if (barChanged) { updateBar(); }
  }

  // Counts: read at most once every CountsInterval while events come, and within CountsInterval of the last one.
  var countsTimer = null;
  var countsAt = 0;
  var countsBusy = false;
  var countsAgain = false;

  function countsChanged() {
    if (countsTimer !== null) { return; }
    countsTimer = window.setTimeout(function () {
      countsTimer = null;
      loadCounts();
    }, Math.max(200, countsAt + CountsInterval - Date.now()));
  }

  function loadCounts() {
    if (countsBusy) { countsAgain = true; return; }
    countsBusy = true;
    countsAt = Date.now();
    fetch(base + '/api/counts', { headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        var all = 0;
        counts.statuses.forEach(function (c) {
          all += c.count;
          var chip = document.querySelector('#jt-counts [data-status="' + c.status + '"]');
          if (chip) {
            chip.querySelector('b').textContent = L.num(c.count);
            chip.classList.toggle('jt-zero', c.count === 0);
          }
        });
        var first = document.querySelector('#jt-counts a:not([data-status]) b');
        if (first) { first.textContent = L.num(all); }
      })
      .catch(function () { })
      .then(function () {
        countsBusy = false;
        if (countsAgain) { countsAgain = false; countsChanged(); }
      });
  }

  // The page as the server renders it now, without a reload (after a pause, or for a job page that changed).
  function refresh(delay) {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () {
      fetch(window.location.href, { headers: { Accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var page = new DOMParser().parseFromString(html, 'text/html');
          ['jt-main', 'jt-counts'].forEach(function (id) {
            var now = document.getElementById(id);
            var next = page.getElementById(id);
            if (now && next) {
              var focused = focusPlace(now);
              now.replaceChildren.apply(now, Array.prototype.slice.call(next.childNodes));
              refocus(now, focused);
            }
          });
          if (kind === 'tracker') { refreshed(); }
        })
        .catch(function () { });
    }, delay);
  }

  // A keyboard user's place survives a refresh: the focused element's position under the refreshed container, found
  // again in the new content when it is the same control (same tag and target), else by its target anywhere in it.
  function focusKey(el) {
    return el.tagName + ' ' + (el.getAttribute('href') || ((el.getAttribute('name') || '') + '=' + (el.getAttribute('value') || '')) + ' ' + el.textContent.trim());
  }

  function focusPlace(container) {
    var el = document.activeElement;
    if (!el || el === container || !container.contains(el)) { return null; }
    var key = focusKey(el);
    var path = [];
    while (el !== container) {
      path.unshift(Array.prototype.indexOf.call(el.parentNode.children, el));
      el = el.parentNode;
    }
    return { path: path, key: key };
  }

  function refocus(container, place) {
    if (!place) { return; }
    var el = container;
    for (var i = 0; i < place.path.length && el; i++) { el = el.children[place.path[i]]; }
    if (!el || focusKey(el) !== place.key) {
      el = Array.prototype.find.call(container.querySelectorAll('a, button, input, select, textarea, [tabindex]'), function (c) { return focusKey(c) === place.key; });
    }
    if (el) { el.focus({ preventScroll: true }); }
  }

  // The rows are the page's now: what it left out is counted again from here, and events newer than a row still win.
  function refreshed() {
    counted.clear();
    rejected.clear();
    wanted = [];
    wantedSet.clear();
    rowIndex().forEach(function (row, id) { if (latest.has(id)) { dirty.add(id); } });
    schedule();
  }

  function schedule() {
    if (frameRequested) { return; }
    frameRequested = true;
    window.requestAnimationFrame(flush);
  }

  function flush() {
    frameRequested = false;
    var ids = Array.from(dirty);
    dirty.clear();
    if (kind === 'tracker') {
      var index = rowIndex();
      ids.forEach(function (id) { showJob(id, index); });
      requestRows();
      if (barChanged) { updateBar(); }
    } else if (latest.has(jobId)) {
      var data = latest.get(jobId);
      latest.clear();
      latest.set(jobId, data);
      if (ids.indexOf(jobId) >= 0) {
        var status = document.getElementById('jt-job-status');
        if (status) { status.replaceChildren(badge(data.statusClass, L.status(data))); }
        refresh(100);
      }
    } else {
      latest.clear();
    }
    toastGroup('started', started);
    toastGroup('finished', finished);
    hear('started', started);
    hear('finished', finished);
    started = [];
    finished = [];
  }

  function onJob(event) {
    var data = JSON.parse(event.data);
    data.seq = Number(event.lastEventId) || 0;
    if (data.started) { started.push(data); }
    if (data.finished) { finished.push(data); }
    if (data.kind === 'status') { countsChanged(); }
    if (data.created && kind === 'tracker' && body.getAttribute('data-query') !== null) { fresh.add(data.id); }
    var known = latest.get(data.id);
    if (!known || data.version > known.version || (data.version === known.version && data.seq >= known.seq)) {
      latest.set(data.id, data);
      dirty.add(data.id);
    }
    schedule();
  }

  function open() {
    if (source) { return; }
    // The first stream starts right after the change the page was built at, so nothing in between is missed;
    // a reconnect resumes from the last event received (the browser sends Last-Event-ID).
    var after = body.getAttribute('data-feed');
    body.removeAttribute('data-feed');
    source = new EventSource(base + '/events' + (after ? '?lastEventId=' + encodeURIComponent(after) : ''));
    source.addEventListener('job', onJob);
    // Too far behind to replay what was missed: the page itself is the current state.
    source.addEventListener('reload', function () { close(L.t('Live.Reloading')); window.location.reload(); });
    source.addEventListener('open', function () {
      setState(L.t('Live.On'));
      body.setAttribute('data-live', 'on');
      // Whatever happened while the stream was down is read from the page itself.
      if (broken) { broken = false; refresh(0); loadCounts(); }
    });
    source.addEventListener('error', function () {
      broken = true;
      body.setAttribute('data-live', 'reconnecting');
      setState(L.t('Live.Reconnecting'));
    });
  }

  function close(reason) {
    if (source) { source.close(); source = null; }
    body.setAttribute('data-live', 'off');
    setState(reason);
  }

  toggle.hidden = false;
  toggle.addEventListener('click', function () {
    userPaused = !userPaused;
    toggle.textContent = L.t(userPaused ? 'Live.Resume' : 'Live.Pause');
    if (userPaused) { close(L.t('Live.Paused')); } else { open(); refresh(0); loadCounts(); }
  });

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      close(L.t('Live.Hidden'));
    } else if (!userPaused) {
      open();
      refresh(0);
      loadCounts();
    }
  });

  setState(L.t('Live.Connecting'));
  if (!document.hidden) { open(); } else { close(L.t('Live.Hidden')); }
})();

// Durations: an active job's figure counts on every second from the start the server wrote (data-started), on the
// server's clock (data-now), so a browser whose clock is off still shows the right figure. It reads the page only:
// a row the live updates mark active starts counting, one marked finished keeps its last figure, and one paused,
// queued or interrupted shows no figure, as the server would.
(function () {
  'use strict';
  var active = { Running: true, Pausing: true, Cancelling: true, ShuttingDown: true };
  var finished = { Completed: true, Cancelled: true, Failed: true };
  var offset = null;

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function format(ms) {
    var s = Math.max(0, ms) / 1000;
    if (s < 60) { return L.fmt(L.t('Duration.Seconds'), [L.num(Math.floor(s * 10) / 10, { minimumFractionDigits: 1, maximumFractionDigits: 1 })]); }
    if (s < 3600) { return L.fmt(L.t('Duration.Minutes'), [Math.floor(s / 60), pad(Math.floor(s % 60))]); }
    return L.fmt(L.t('Duration.Hours'), [Math.floor(s / 3600), pad(Math.floor((s % 3600) / 60))]);
  }

  function serverNow(cell) {
    if (cell.jtOffset === undefined) {
      var now = Date.parse(cell.getAttribute('data-now') || '');
      cell.jtOffset = isNaN(now) ? (offset || 0) : now - Date.now();
      if (offset === null && !isNaN(now)) { offset = cell.jtOffset; }
    }
    return Date.now() + cell.jtOffset;
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll('.jt-duration'), function (cell) {
      var row = cell.closest('[data-status]');
      var status = row ? row.getAttribute('data-status') : null;
      var started = Date.parse(cell.getAttribute('data-started') || '');
      if (status !== null && !active[status]) {
        if (!isNaN(started)) {
          cell.removeAttribute('data-started');
          if (!finished[status]) { cell.textContent = '—'; }
        }
        return;
      }
      if (isNaN(started)) {
        if (status === null) { return; }
        // Marked active by a live update since the page was built: count from now until the server says better.
        cell.jtOffset = offset || 0;
        started = serverNow(cell);
        cell.setAttribute('data-started', new Date(started).toISOString());
      }
      cell.textContent = format(serverNow(cell) - started);
    });
  }

  window.setInterval(tick, 1000);
})();

// Times: the server writes each as <time datetime="ISO"> with its UTC text; here it reads in the reader's time zone and
// the page's language ("14/03/2025 16:04:05 UTC+1" in French), the UTC text kept as its title. Rows, toasts and
// refreshed content that come later are rewritten as they arrive.
(function () {
  var formatter;
  try {
    formatter = new Intl.DateTimeFormat(L.lang, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  } catch (e) {
    return;
  }

  function localize() {
    Array.prototype.forEach.call(document.querySelectorAll('time[datetime]:not([data-local])'), function (el) {
      var at = Date.parse(el.getAttribute('datetime'));
      if (isNaN(at)) { return; }
      el.setAttribute('data-local', '');
      el.title = el.textContent;
      el.textContent = formatter.format(new Date(at));
    });
  }

  localize();
  if (window.MutationObserver) { new MutationObserver(localize).observe(document.body, { childList: true, subtree: true }); }
})();
})();
