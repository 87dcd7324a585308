// msilab report: renders a cell's evidence panel from the JSON data in
// #msilab-data when its box in #matrix is clicked (or is named in the
// address as #cell=<id>). Plain DOM, no library; text is only ever set
// as text, never parsed as HTML.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('msilab-data').textContent);
  var cells = {};
  data.cells.forEach(function (c) { cells[c.id] = c; });
  var panel = document.getElementById('panel');
  var matrix = document.getElementById('matrix');
  var files = data.files || {};

  // el builds an element: attrs are attributes ("text" sets its text),
  // children are nodes, strings (text) or null (skipped).
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') e.textContent = String(v);
      else e.setAttribute(k, String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function statusClass(s) {
    return { 'pass': 'pass', 'fail': 'fail', 'infra-error': 'infra', 'skipped': 'skip' }[s] || 'other';
  }

  function list(a) { return a && a.length ? a.join(', ') : null; }

  function when(s) {
    if (!s || s.indexOf('0001-01-01') === 0) return null;
    var d = new Date(s);
    return isNaN(d) ? s : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function human(ns) {
    if (!ns) return null;
    var s = ns / 1e9;
    if (s < 1) return Math.round(ns / 1e6) + ' ms';
    if (s < 60) return s.toFixed(1) + ' s';
    var m = Math.floor(s / 60);
    return m + ' min ' + Math.round(s - 60 * m) + ' s';
  }

  // kv is a definition list of [label, value] rows; a null value is left
  // out, an array becomes a list, a node is used as it is.
  function kv(rows, cls) {
    var dl = el('dl', { 'class': cls || 'kv' });
    rows.forEach(function (r) {
      var v = r[1];
      if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return;
      var dd;
      if (Array.isArray(v)) dd = el('dd', {}, [el('ul', {}, v.map(function (x) { return el('li', { 'class': 'mono', text: x }); }))]);
      else if (v instanceof Node) dd = el('dd', {}, [v]);
      else dd = el('dd', { text: v });
      var row = cls === 'facts' ? el('div', {}, [el('dt', { text: r[0] }), dd]) : null;
      if (row) dl.appendChild(row);
      else { dl.appendChild(el('dt', { text: r[0] })); dl.appendChild(dd); }
    });
    return dl;
  }

  function table(head, rows, cls) {
    return el('table', { 'class': 't' + (cls ? ' ' + cls : '') }, [
      el('thead', {}, [el('tr', {}, head.map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', {}, rows)
    ]);
  }

  function section(title, sub, body) {
    var h = el('h3', { text: title }, [sub ? el('span', { 'class': 'sub', text: sub }) : null]);
    return el('section', {}, [h].concat(body));
  }

  // A relative link into the cell's evidence bundle, each path segment encoded.
  function bundleHref(dir, file) {
    var base = dir.replace(/\\/g, '/').replace(/\/+$/, '').split('/').map(encodeURIComponent).join('/');
    return base + '/' + (file ? encodeURIComponent(file) : '');
  }

  function head(c) {
    var st = statusClass(c.status);
    var sc = (data.scenarios || {})[c.scenario] || {};
    var refs = (sc.references || []).map(function (r) {
      return /^https?:\/\//i.test(r) ? el('a', { href: r, rel: 'noreferrer noopener', target: '_blank', text: r }) : el('span', { text: r });
    });
    var close = el('button', { type: 'button', 'class': 'close', title: 'Close (Esc)', 'aria-label': 'Close', text: '\u00d7' });
    close.addEventListener('click', hide);
    var refList = null;
    if (refs.length) {
      refList = el('p', { 'class': 'refs' }, [el('b', { text: 'References: ' })]);
      refs.forEach(function (a, i) { if (i) refList.appendChild(document.createTextNode(' · ')); refList.appendChild(a); });
    }
    return el('div', { 'class': 'panel-head ' + st }, [
      el('h2', {}, [el('span', { 'class': 'badge ' + st, text: c.status }), c.id]),
      close,
      c.reason ? el('p', { 'class': 'reason', text: c.reason }) : null,
      sc.summary ? el('p', { 'class': 'muted', text: sc.summary + (sc.evidence ? ' (evidence: ' + sc.evidence + ')' : '') }) : null,
      refList,
      kv([
        ['Host', c.host], ['OS', c.os], ['Context', c.context || 'admin-elevated'],
        ['Started', when(c.started)], ['Duration', human(c.duration_ns)],
        ['Attempts', c.attempts ? String(c.attempts) : null],
        ['WinRM commands', String(c.commands || 0)],
        ['Remediation', c.remediation ? { 'recovered': 'recovered', 'not-applicable': 'no host fix applies', 'over-broad': 'not recovered (over-broad)', 'not-recovered': 'not recovered' }[outcome(c.remediation)] : null],
        ['Back to baseline', c.status === 'pass' || c.status === 'fail' || (c.state_after || []).length ? (c.back_to_baseline ? 'yes' : 'no') : null]
      ], 'facts')
    ]);
  }

  function expectation(c) {
    var e = c.expected || {}, o = c.observed || {};
    var nums = function (a) { return list((a || []).map(String)); };
    var exp = el('div', { 'class': 'card' }, [el('h4', { text: 'Expected' }), kv([
      ['Exit code', String(e.exit_code)], ['Messages', nums(e.messages)], ['Log', e.log], ['Not in log', e.not_log],
      ['Events', nums(e.events)], ['No events', e.no_events ? 'required' : null], ['Override', e.override]
    ])]);
    var obs = el('div', { 'class': 'card' }, [el('h4', { text: 'Observed' }), kv([
      ['Exit code', c.status === 'skipped' ? null : String(o.exit_code)], ['Messages', nums(o.messages)],
      ['Events', nums(o.events)], ['Log lines', o.log_lines]
    ])]);
    var rows = (c.checks || []).map(function (k) {
      return el('tr', { 'class': k.ok ? null : 'bad' }, [
        el('td', { 'class': 'mono', text: k.name }), el('td', { 'class': 'mono', text: k.want }),
        el('td', { 'class': 'mono', text: k.got }), el('td', { 'class': k.ok ? 'ok' : 'notok', text: k.ok ? '\u2713 ok' : '\u2717 fail' })
      ]);
    });
    var checks = rows.length ? table(['Check', 'Want', 'Got', 'OK'], rows, 'checks') : el('p', { 'class': 'muted', text: 'No checks were made.' });
    return section('Expectation and observation', null, [el('div', { 'class': 'two' }, [exp, obs]), el('h3', { text: 'Checks' }), checks]);
  }

  // classify says how a log line is marked: "sig" for the expectation's
  // signature (its log substrings, its message numbers as "Note: 1: N" or
  // "Error N", the lines the check matched), "bad" for a substring that
  // must not appear, "note" for any other "Note: 1:" line.
  function classifier(c) {
    var e = c.expected || {};
    var subs = (e.log || []).filter(Boolean), bad = (e.not_log || []).filter(Boolean);
    var msgs = e.messages || [], matched = ((c.observed || {}).log_lines || []).filter(Boolean);
    var has = function (line, a) { return a.some(function (s) { return line.indexOf(s) >= 0; }); };
    return function (line) {
      if (has(line, bad)) return 'bad';
      if (has(line, subs) || has(line, matched)) return 'sig';
      var m = /Note: 1: (\d+)/.exec(line) || /\bError (\d+)/.exec(line);
      if (m && msgs.indexOf(Number(m[1])) >= 0) return 'sig';
      return /Note: 1: \d+/.test(line) ? 'note' : '';
    };
  }

  function logSection(c) {
    var link = c.evidence ? el('a', { href: bundleHref(c.evidence, files.log), text: files.log }) : null;
    if (!c.log) {
      return section('Verbose log', null, [el('p', { 'class': 'muted' }, ['No verbose log was written.'])]);
    }
    var lines = c.log.split(/\r?\n/);
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    var kind = classifier(c);
    var pre = el('pre', { 'class': 'log', tabindex: '0' });
    var sig = el('ol', { 'class': 'sig' });
    var buf = [], marks = 0, first = null;
    function flush() { if (buf.length) { pre.appendChild(document.createTextNode(buf.join(''))); buf = []; } }
    lines.forEach(function (line, i) {
      var k = kind(line);
      if (!k) { buf.push(line + '\n'); return; }
      flush();
      var m = el('mark', { 'class': 'm-' + k, id: 'L' + (i + 1), text: line });
      pre.appendChild(m);
      pre.appendChild(document.createTextNode('\n'));
      if (k === 'note' && marks >= 300) return;
      marks++;
      if (!first && k !== 'note') first = m;
      var item = el('li', { 'class': 'k-' + k, title: 'Show in the log' }, [el('span', { 'class': 'ln', text: String(i + 1) }), line]);
      item.addEventListener('click', function () { reveal(pre, m); });
      sig.appendChild(item);
    });
    flush();
    var body = [];
    if (c.log_note) body.push(el('p', { 'class': 'muted', text: 'Shortened: ' + c.log_note }));
    if (marks) body.push(sig);
    body.push(pre);
    if (link) body.push(el('p', { 'class': 'muted' }, ['Whole log: ', link]));
    var sub = lines.length + ' lines; ' + marks + ' marked (yellow: the expected signature, blue: other "Note: 1:" lines, red: text that must not appear)';
    var s = section('Verbose log', sub, body);
    s._first = first || (sig.firstChild ? pre.querySelector('mark') : null);
    s._pre = pre;
    return s;
  }

  function reveal(pre, mark) {
    pre.scrollTop = Math.max(0, mark.offsetTop - pre.clientHeight / 3);
    var prev = pre.querySelector('mark.flash');
    if (prev) prev.classList.remove('flash');
    mark.classList.add('flash');
  }

  function events(c) {
    var e = c.expected || {};
    var want = e.events || [];
    var list = c.event_details;
    var note = null;
    if (!list || !list.length) {
      list = ((c.observed || {}).events || []).map(function (id) { return { event_id: id }; });
      if (list.length) note = el('p', { 'class': 'muted', text: 'Levels and messages are in the evidence bundle (' + files.events + ').' });
    }
    if (!list.length) {
      return section('Events', null, [el('p', { 'class': 'muted', text: e.no_events ? 'No MsiInstaller event was written, as required.' : 'No MsiInstaller event was written.' })]);
    }
    return section('Events', list.length + ' MsiInstaller records; expected IDs in bold', [eventTable(list, want), note]);
  }

  // eventTable lists events, the IDs in want in bold.
  function eventTable(list, want) {
    var rows = list.map(function (ev) {
      return el('tr', {}, [
        el('td', { 'class': 'mono' }, [want.indexOf(ev.event_id) >= 0 ? el('b', { text: String(ev.event_id), title: 'expected' }) : String(ev.event_id)]),
        el('td', { 'class': 'lv-' + (ev.level || ''), text: ev.level || '' }),
        el('td', { 'class': 'mono', text: when(ev.time) || '' }),
        el('td', { style: 'white-space: pre-wrap', text: ev.message || '' })
      ]);
    });
    return table(['ID', 'Level', 'Time', 'Message'], rows);
  }

  // stateCols shows two sorted state listings side by side, each line the
  // other lacks marked: red "-" on the left, green "+" on the right, or
  // red "!" on the right for a line hot(line) is true of.
  function stateCols(before, after, titles, hot) {
    var inBefore = {}, inAfter = {};
    before.forEach(function (l) { inBefore[l] = true; });
    after.forEach(function (l) { inAfter[l] = true; });
    function col(title, lines, other, cls, sign, hot) {
      var pre = el('pre', { 'class': 'state' });
      var diff = 0;
      lines.forEach(function (l) {
        if (other[l]) pre.appendChild(document.createTextNode('  ' + l + '\n'));
        else if (hot && hot(l)) { diff++; pre.appendChild(el('span', { 'class': 'd-hot', title: 'over-broad', text: '! ' + l + '\n' })); }
        else { diff++; pre.appendChild(el('span', { 'class': cls, text: sign + ' ' + l + '\n' })); }
      });
      if (!lines.length) pre.appendChild(el('span', { 'class': 'muted', text: '(nothing recorded)' }));
      return el('div', { 'class': 'card' }, [el('h4', { text: title + (diff ? ' (' + diff + ' differing)' : '') }), pre]);
    }
    return el('div', { 'class': 'two' }, [
      col(titles[0], before, inAfter, 'd-del', '-'), col(titles[1], after, inBefore, 'd-add', '+', hot)
    ]);
  }

  function state(c) {
    var before = c.state_before || [], after = c.state_after || [];
    if (!before.length && !after.length) return section('State', null, [el('p', { 'class': 'muted', text: 'No state was recorded.' })]);
    var sub = c.back_to_baseline ? 'back to baseline after the revert' : 'NOT back to baseline after the revert';
    var sec = section('State', sub + ' (before the faults; after the revert)', [stateCols(before, after, ['Before', 'After'])]);
    if (!c.back_to_baseline) sec.querySelector('.sub').classList.add('warn');
    return sec;
  }

  // outcome is what a remediation came to: the Go side's
  // results.Remediation.Outcome, written with the data.
  function outcome(r) { return r.outcome; }

  function exitClass(code) { return [0, 1641, 3010].indexOf(code) >= 0 ? 'exit-ok' : 'exit-bad'; }

  function sub(title, note) {
    return el('h4', { 'class': 'sh', text: title }, [note ? el('span', { 'class': 'sub', text: note }) : null]);
  }

  function findingsTable(r) {
    var f = r.findings || [];
    if (!f.length) return el('p', { 'class': 'muted', text: 'No cause was found.' });
    var scen = f.some(function (x) { return x.scenario; });
    var rows = f.map(function (x) {
      var conf = Math.max(0, Math.min(1, Number(x.confidence) || 0));
      var bar = el('span', { 'class': 'conf', 'aria-hidden': 'true' }, [el('i', { style: 'width: ' + Math.round(conf * 100) + '%' })]);
      var ev = (x.evidence || []).length
        ? el('ul', {}, x.evidence.map(function (e) { return el('li', { 'class': 'mono', text: e }); }))
        : el('span', { 'class': 'muted', text: 'none recorded' });
      return el('tr', {}, [
        el('td', {}, [el('span', { 'class': 'fid', text: x.id }), x.summary ? el('span', { 'class': 'muted', text: x.summary }) : null]),
        el('td', { style: 'white-space: nowrap' }, [bar, Math.round(conf * 100) + '%']),
        el('td', {}, [ev]),
        scen ? el('td', { 'class': 'mono', text: x.scenario || '' }) : null
      ]);
    });
    return table(['Finding', 'Confidence', 'Evidence'].concat(scen ? ['Reproduced by'] : []), rows, 'findings' + (scen ? ' scen' : ''));
  }

  function fixList(r) {
    var fixes = r.fixes || [];
    if (!fixes.length) return el('p', { 'class': 'muted', text: r.not_applicable ? 'No fix was applied: none applies to the host.' : 'No fix was applied.' });
    return el('ol', { 'class': 'fixes' }, fixes.map(function (f) {
      var risk = f.risk || 'unknown';
      var chips = [
        el('span', { 'class': 'chip risk-' + risk, text: risk + ' risk' }),
        f.verified ? el('span', { 'class': 'chip ok', text: '\u2713 verified' }) : el('span', { 'class': 'chip bad', text: '\u2717 not verified' }),
        f.rolled_back ? el('span', { 'class': 'chip warn', text: '\u21b6 rolled back' }) : null,
        f.finding ? el('span', { 'class': 'muted', text: 'for ' + f.finding }) : null
      ];
      var ps;
      if (f.powershell) {
        var n = f.powershell.replace(/\n$/, '').split('\n').length;
        ps = el('details', {}, [
          el('summary', {}, ['PowerShell ', el('span', { 'class': 'muted', text: '(' + n + ' lines, exactly what the fix runs on a real host)' })]),
          el('pre', { 'class': 'ps', tabindex: '0', text: f.powershell })
        ]);
      } else {
        ps = el('p', { 'class': 'muted', text: 'No PowerShell: the fix changes how the install runs, not the host.' });
      }
      return el('li', { 'class': 'fix' + (f.rolled_back ? ' rolled' : '') }, [
        el('div', { 'class': 'fix-head' }, [el('span', { 'class': 'fix-name', text: f.name })].concat(chips)),
        f.note || f.run_as || f.error ? kv([['Note', f.note], ['Run as', f.run_as], ['Error', f.error ? el('span', { 'class': 'err', text: f.error }) : null]]) : null,
        ps
      ]);
    }));
  }

  function rerun(c, r) {
    var o = r.rerun;
    if (!o) return el('p', { 'class': 'muted', text: r.not_applicable ? 'The install was not rerun: no host fix applies.' : 'The install was not rerun.' });
    var ctx = r.run_as ? r.run_as + ' (changed by a fix; the cell ran ' + (c.context || 'admin-elevated') + ')' : (c.context || 'admin-elevated');
    var rows = [
      ['Context', ctx],
      ['Exit code', el('span', { 'class': exitClass(o.exit_code), text: String(o.exit_code) })],
      ['Messages', list((o.messages || []).map(String))],
      ['Log lines', o.log_lines]
    ];
    var details = c.rerun_event_details || [];
    rows.push(['Events', details.length ? eventTable(details, []) : list((o.events || []).map(String)) || 'none']);
    return kv(rows, 'kv rerun');
  }

  // broadLine is true of a state line about a path an over-broad right is
  // on: the right reads "C:\Windows\Temp: Everyone gains ...", the line
  // has the path as JSON, "C:\\Windows\\Temp".
  function broadLine(broad) {
    var paths = broad.map(function (b) { var i = b.indexOf(': '); return i > 0 ? JSON.stringify(b.slice(0, i)) : null; })
      .filter(Boolean);
    if (!paths.length) return null;
    return function (line) { return paths.some(function (p) { return line.indexOf(p) >= 0; }); };
  }

  function remediation(c) {
    var r = c.remediation;
    if (!r) {
      if (c.status !== 'pass' && c.status !== 'fail') return null;
      var why = !(c.faults || []).length ? 'not needed: no fault was injected (a control cell).'
        : c.status === 'fail' ? 'did not run: the failure was not reproduced.' : 'did not run.';
      return section('Remediation', null, [el('p', { 'class': 'muted', text: 'Remediation ' + why })]);
    }
    var out = outcome(r);
    var o = r.rerun;
    var msg = {
      'recovered': ['\u2713 Recovered.', 'The install rerun succeeded' + (o ? ' (exit code ' + o.exit_code + ')' : '') +
        ' and the host is back to its baseline apart from the installed product.'],
      'not-applicable': ['No host fix applies.', r.not_applicable || ''],
      'over-broad': ['\u2717 Not recovered: over-broad.', r.reason || 'a fix left rights broader than the OS profile\'s defaults.'],
      'not-recovered': ['\u2717 Not recovered.', r.reason || '']
    }[out];
    var body = [el('div', { 'class': 'outcome rem-' + out }, [el('b', { text: msg[0] }), msg[1]])];
    if (r.reason && r.reason !== msg[1]) body.push(el('p', { 'class': 'muted', text: 'Reason: ' + r.reason }));
    if ((r.over_broad || []).length) {
      body.push(el('div', { 'class': 'overbroad' }, [
        el('b', { text: 'Over-broad rights on the host' }), ' \u2014 broader than the OS profile\'s defaults; no fix may leave these behind:',
        el('ul', {}, r.over_broad.map(function (x) { return el('li', { text: x }); }))
      ]));
    }
    var nf = (r.findings || []).length, nx = (r.fixes || []).length;
    body.push(sub('Findings', nf + (nf === 1 ? ' cause' : ' causes') + ', most likely first'), findingsTable(r));
    if (nx || r.rerun) {
      body.push(sub('Fixes', nx ? 'in the order applied, least invasive first' : null), fixList(r));
      body.push(sub('Rerun', 'the install after the fixes'), rerun(c, r));
    } else {
      body.push(el('p', { 'class': 'muted', text: 'No fix was applied and the install was not rerun.' }));
    }
    var before = r.state_before || [], after = r.state_after || [];
    if (before.length || after.length) {
      var changed = nx || r.rerun;
      body.push(sub('Host state', changed
        ? 'before the fault; after the fixes and the rerun (the installed product aside, they should match)'
        : 'before the fault; after the diagnosis'),
      stateCols(before, after, ['Before the fault', changed ? 'After the fixes' : 'After the diagnosis'], broadLine(r.over_broad || [])));
    }
    body.push(el('p', {}, [el('b', { text: 'WinRM commands: ' }), String(r.commands || 0) + ' (diagnosis, fixes and rerun)']));
    var word = { 'recovered': 'recovered', 'not-applicable': 'no host fix applies', 'over-broad': 'NOT recovered: over-broad rights', 'not-recovered': 'NOT recovered' }[out];
    var sec = section('Remediation', word, body);
    sec.setAttribute('id', 'remediation');
    sec.setAttribute('data-outcome', out);
    if (out === 'over-broad' || out === 'not-recovered') sec.querySelector('.sub').classList.add('warn');
    return sec;
  }

  function faults(c) {
    var f = c.faults || [];
    var body = f.length
      ? [table(['Fault', 'Parameters'], f.map(function (x) { return el('tr', {}, [el('td', { 'class': 'mono', text: x.type }), el('td', { 'class': 'mono', text: x.params || '' })]); }))]
      : [el('p', { 'class': 'muted', text: 'No fault was injected (a control cell).' })];
    body.push(el('p', {}, [el('b', { text: 'WinRM commands: ' }), String(c.commands || 0) + ' (snapshot revert aside)' + (c.attempts > 1 ? ', ' + c.attempts + ' attempts' : '')]));
    return section('Faults injected', null, body);
  }

  function record(c) {
    var r = c.record || {};
    var batches = r.batches || [];
    var nops = batches.reduce(function (n, b) { return n + (b ? b.length : 0); }, 0);
    var det = null;
    if (batches.length) {
      det = el('details', {}, [el('summary', { text: batches.length + ' batches, ' + nops + ' ops' })].concat(batches.map(function (b, i) {
        return el('div', { 'class': 'mono' }, [(i + 1) + '. ' + (b || []).map(function (o) { return o.op; }).join(', ')]);
      })));
    }
    var links = null;
    if (c.evidence) {
      links = el('div', { 'class': 'links' }, [
        el('a', { href: bundleHref(c.evidence), text: c.evidence.replace(/\/?$/, '/') }),
        el('a', { href: bundleHref(c.evidence, files.log), text: files.log }),
        el('a', { href: bundleHref(c.evidence, files.repro), text: files.repro }),
        el('a', { href: bundleHref(c.evidence, files.cell), text: files.cell }),
        el('a', { href: bundleHref(c.evidence, files.events), text: files.events })
      ]);
    }
    return section('Record', null, [kv([
      ['Scenario file', r.scenario_file], ['Scenario SHA-256', r.scenario_sha256],
      ['Package', r.package], ['Package SHA-256', r.package_sha256], ['Product code', r.product_code],
      ['OS build', r.os_build], ['msi.dll version', r.msi_version], ['Snapshot', r.snapshot],
      ['msilab version', r.tool_version], ['Op batches', det], ['Evidence bundle', links || 'none was written']
    ])]);
  }

  var selected = null;

  function show(id, scroll) {
    var c = cells[id];
    if (!c) return false;
    var log = logSection(c);
    panel.textContent = '';
    panel.appendChild(head(c));
    panel.appendChild(el('div', { 'class': 'panel-body' }, [expectation(c), remediation(c), log, events(c), state(c), faults(c), record(c)]));
    panel.hidden = false;
    panel.setAttribute('data-cell-open', id);
    if (selected) selected.classList.remove('selected');
    selected = null;
    Array.prototype.forEach.call(matrix.querySelectorAll('[data-cell]'), function (b) {
      if (b.getAttribute('data-cell') === id) { selected = b; b.classList.add('selected'); }
    });
    if (log._first) reveal(log._pre, log._first);
    if (scroll) panel.scrollIntoView({ behavior: scroll, block: 'start' });
    return true;
  }

  function hide() {
    panel.hidden = true;
    panel.textContent = '';
    panel.removeAttribute('data-cell-open');
    if (selected) { selected.classList.remove('selected'); selected.focus(); }
    selected = null;
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }

  function fromHash(scroll) {
    var h = location.hash;
    if (h.indexOf('#cell=') !== 0) return;
    var id;
    try { id = decodeURIComponent(h.slice(6)); } catch (e) { return; }
    show(id, scroll);
  }

  matrix.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-cell]');
    if (!b) return;
    var id = b.getAttribute('data-cell');
    if (show(id, 'smooth')) history.replaceState(null, '', '#cell=' + encodeURIComponent(id));
  });
  document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape' && !panel.hidden) hide(); });
  window.addEventListener('hashchange', function () { fromHash('smooth'); });
  fromHash('auto'); // a link to a cell opens at its panel
  document.documentElement.setAttribute('data-rendered', String(data.cells.length));
})();
