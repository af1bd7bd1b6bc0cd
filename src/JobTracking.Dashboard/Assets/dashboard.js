// JobTracking dashboard: confirmations before commands, and live updates by Server-Sent Events.
// Every text that comes from a job is set with textContent; HTML is only taken from the dashboard's own pages.
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
    if (!window.confirm(button.getAttribute('data-confirm'))) { e.preventDefault(); return; }
    var field = button.form ? button.form.querySelector('input[name="confirmed"]') : null;
    if (field) { field.value = 'yes'; }
  });

  if (!window.EventSource || (kind !== 'tracker' && kind !== 'job')) { return; }

  var toggle = document.getElementById('jt-live-toggle');
  var state = document.getElementById('jt-live-state');
  var source = null;
  var userPaused = false;
  var broken = false;
  var refreshTimer = null;
  var countsTimer = null;
  var pendingRows = {};

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
      ? (progress.done > 0 ? progress.done.toLocaleString('en-US') + ' done' : '—')
      : Math.round(progress.percent) + ' %';
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
      bar.setAttribute('aria-label', 'Progress of ' + (name ? name.textContent : 'the job'));
      cell.insertBefore(document.createTextNode(' '), cell.firstChild);
      cell.insertBefore(bar, cell.firstChild);
    }
    if (bar) { bar.value = progress.percent; }
  }

  function toast(data, text) {
    var box = document.getElementById('jt-toasts');
    var item = document.createElement('div');
    item.className = 'jt-toast';
    item.setAttribute('data-job-id', data.id);
    item.setAttribute('data-toast', data.started ? 'started' : 'finished');
    item.appendChild(badge(data.statusClass, ''));
    var message = document.createElement('span');
    var link = document.createElement('a');
    link.href = base + '/' + data.id;
    link.textContent = data.displayName;
    message.appendChild(link);
    message.appendChild(document.createTextNode(' ' + text));
    item.appendChild(message);
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'jt-toast-close';
    close.setAttribute('aria-label', 'Close');
    close.textContent = '×';
    close.addEventListener('click', function () { item.remove(); });
    item.appendChild(close);
    box.appendChild(item);
    window.setTimeout(function () { item.remove(); }, 8000);
  }

  function updateRow(row, data) {
    row.setAttribute('data-status', data.status);
    var status = row.querySelector('.jt-status');
    if (status) { status.replaceChildren(badge(data.statusClass, data.statusLabel)); }
    progressBar(row, data.progress);
    var percent = row.querySelector('.jt-percent');
    if (percent) { percent.textContent = percentText(data.progress); percent.classList.toggle('jt-none', percentText(data.progress) === '—'); }
    var warnings = row.querySelector('.jt-warnings');
    if (warnings) { warnings.textContent = String(data.warningCount); }
  }

  function addRow(id) {
    var query = body.getAttribute('data-query');
    if (query === null || pendingRows[id]) { return; }
    pendingRows[id] = true;
    fetch(base + '/rows/' + encodeURIComponent(id) + query, { headers: { Accept: 'text/html' } })
      .then(function (response) { return response.status === 200 ? response.text() : null; })
      .then(function (html) {
        delete pendingRows[id];
        var rows = document.getElementById('jt-rows');
        if (!html || !rows || rows.querySelector('tr[data-job-id="' + id + '"]')) { return; }
        var template = document.createElement('template');
        template.innerHTML = html.trim();
        rows.insertBefore(template.content, rows.firstChild);
        var empty = document.getElementById('jt-empty');
        if (empty) { empty.remove(); }
      })
      .catch(function () { delete pendingRows[id]; });
  }

  function refreshCounts() {
    window.clearTimeout(countsTimer);
    countsTimer = window.setTimeout(function () {
      fetch(base + '/api/counts', { headers: { Accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (counts) {
          if (!counts) { return; }
          var all = 0;
          counts.statuses.forEach(function (c) {
            all += c.count;
            var chip = document.querySelector('#jt-counts [data-status="' + c.status + '"]');
            if (chip) {
              chip.querySelector('b').textContent = c.count.toLocaleString('en-US');
              chip.classList.toggle('jt-zero', c.count === 0);
            }
          });
          var first = document.querySelector('#jt-counts a:not([data-status]) b');
          if (first) { first.textContent = all.toLocaleString('en-US'); }
        })
        .catch(function () { });
    }, 200);
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
            if (now && next) { now.replaceChildren.apply(now, Array.prototype.slice.call(next.childNodes)); }
          });
        })
        .catch(function () { });
    }, delay);
  }

  function onJob(event) {
    var data = JSON.parse(event.data);
    if (data.started) { toast(data, 'started'); }
    if (data.finished) { toast(data, '· ' + data.statusLabel); }
    if (kind === 'tracker') {
      var row = document.querySelector('#jt-rows tr[data-job-id="' + data.id + '"]');
      if (row) { updateRow(row, data); } else { addRow(data.id); }
      if (data.kind === 'status') { refreshCounts(); }
    } else if (data.id === jobId) {
      var status = document.getElementById('jt-job-status');
      if (status) { status.replaceChildren(badge(data.statusClass, data.statusLabel)); }
      refresh(100);
    } else if (data.kind === 'status') {
      refreshCounts();
    }
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
    source.addEventListener('reload', function () { close('Reloading…'); window.location.reload(); });
    source.addEventListener('open', function () {
      setState('Live');
      body.setAttribute('data-live', 'on');
      // Whatever happened while the stream was down is read from the page itself.
      if (broken) { broken = false; refresh(0); refreshCounts(); }
    });
    source.addEventListener('error', function () {
      broken = true;
      body.setAttribute('data-live', 'reconnecting');
      setState('Reconnecting…');
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
    toggle.textContent = userPaused ? 'Resume live updates' : 'Pause live updates';
    if (userPaused) { close('Live updates paused'); } else { open(); refresh(0); refreshCounts(); }
  });

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      close('Paused while the tab is hidden');
    } else if (!userPaused) {
      open();
      refresh(0);
      refreshCounts();
    }
  });

  setState('Connecting…');
  if (!document.hidden) { open(); } else { close('Paused while the tab is hidden'); }
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
    if (s < 60) { return (Math.floor(s * 10) / 10).toFixed(1) + ' s'; }
    if (s < 3600) { return Math.floor(s / 60) + ' min ' + pad(Math.floor(s % 60)) + ' s'; }
    return Math.floor(s / 3600) + ' h ' + pad(Math.floor((s % 3600) / 60)) + ' min';
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
