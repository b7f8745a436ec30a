/* flowgraph report explorer: zone map clicks, exception table, service search.
   Vanilla JS, no dependency, no network. Every value from the estate is untrusted: it is only ever
   written with textContent or setAttribute on inert attributes, never parsed as HTML. */
(function () {
  "use strict";
  var dataEl = document.getElementById("fg-data");
  if (!dataEl || !window.JSON) { return; }
  var D;
  try { D = JSON.parse(dataEl.textContent); } catch (err) { return; }
  document.documentElement.className += " js";

  var PAGE = 100;
  var zones = {};
  D.zones.forEach(function (z) { zones[z.key] = z; });
  var serviceZone = {};
  D.services.forEach(function (s) { serviceZone[s[0]] = s[1]; });
  var KIND_TEXT = {
    zone: "Zone (detected community)",
    shared: "Shared-services zone: reachable from every zone, its flows are not exceptions",
    external: "Outside the estate: flows to or from it are external flows, not exceptions",
    unassigned: "Workloads without a zone: each of their flows is an exception"
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function fmtInt(v) { return (v === null || v === undefined) ? "\u2014" : Number(v).toLocaleString("en-US"); }
  function fmtBytes(v) {
    if (v === null || v === undefined) { return "\u2014"; }
    var units = ["B", "kB", "MB", "GB", "TB", "PB"], i = 0, x = Number(v);
    while (x >= 1000 && i < units.length - 1) { x /= 1000; i += 1; }
    return (i === 0 ? String(x) : x.toFixed(x < 10 ? 1 : 0)) + " " + units[i];
  }
  function zoneLabel(key) { return zones[key] ? zones[key].label : "unassigned"; }
  function show(id) { var e = document.getElementById(id); if (e) { e.hidden = false; } return e; }

  /* ---- exception table ---------------------------------------------------------------- */
  var rows = D.exceptions;
  rows.forEach(function (x, i) {
    x.i = i;
    x.hay = [x.a, x.b, zoneLabel(x.za), zoneLabel(x.zb)].concat(x.ports).join("\n").toLowerCase();
  });
  var state = { text: "", zone: "", service: "", sort: "c", dir: -1, limit: PAGE, open: {} };
  var SORTS = {
    a: function (x) { return x.a.toLowerCase(); }, za: function (x) { return zoneLabel(x.za).toLowerCase(); },
    b: function (x) { return x.b.toLowerCase(); }, zb: function (x) { return zoneLabel(x.zb).toLowerCase(); },
    n: function (x) { return x.n; }, c: function (x) { return x.c; }, by: function (x) { return x.by; },
    l: function (x) { return x.l || ""; }
  };
  var table = document.getElementById("fg-exc-table");
  var tbody = table ? table.tBodies[0] : null;
  var filterInput = document.getElementById("fg-exc-filter");
  var zoneSelect = document.getElementById("fg-exc-zone");
  var countLine = document.getElementById("fg-exc-count");
  var moreButton = document.getElementById("fg-exc-more");
  var NCOLS = 9;

  function matches(x) {
    if (state.zone && x.za !== state.zone && x.zb !== state.zone) { return false; }
    if (state.service && x.a !== state.service && x.b !== state.service) { return false; }
    if (state.text) {
      var words = state.text.split(/\s+/);
      for (var i = 0; i < words.length; i += 1) {
        if (words[i] && x.hay.indexOf(words[i]) < 0) { return false; }
      }
    }
    return true;
  }

  function flowTable(x) {
    var wrap = el("div", "tablewrap fg-flowwrap");
    var t = el("table", "fg-flowtable");
    var head = t.createTHead().insertRow();
    ["Client", "Server", "Port", "Connections", "Packets", "Bytes", "First seen", "Last seen", "Hours", "Days"]
      .forEach(function (h, j) { var th = el("th", j >= 3 && j !== 6 && j !== 7 ? "n" : "", h); head.appendChild(th); });
    var body = t.createTBody();
    x.flows.forEach(function (f) {
      var tr = body.insertRow();
      tr.className = "fg-flow";
      [[f[0], "name"], [f[1], "name"], [f[2], "mono"], [fmtInt(f[3]), "n"], [fmtInt(f[4]), "n"],
       [fmtBytes(f[5]), "n"], [f[6] || "\u2014", "small"], [f[7] || "\u2014", "small"], [fmtInt(f[8]), "n"],
       [fmtInt(f[9]), "n"]].forEach(function (c) { tr.appendChild(el("td", c[1], c[0])); });
    });
    wrap.appendChild(t);
    return wrap;
  }

  function endpoint(addr, port) {
    return (addr === null || addr === undefined ? "\u2014" : String(addr)) +
      (port === null || port === undefined ? "" : ":" + String(port));
  }

  function fileLine(idx, line) {
    var files = D.sample_files || [];
    var name = (idx === null || idx === undefined || idx >= files.length) ? "\u2014" :
      (D.sample_file_prefix || "") + files[idx];
    return line ? name + ":" + String(line) : name;
  }

  /* Sample records: [client, server, port, start, src, sport, dst, dport, bytes, interface, file idx, line]. */
  function sampleTable(x) {
    var wrap = el("div", "tablewrap fg-flowwrap");
    var t = el("table", "fg-flowtable fg-sampletable");
    var head = t.createTHead().insertRow();
    ["Flow", "Start (UTC)", "Source", "Destination", "Bytes", "Interface", "File:line"]
      .forEach(function (h, j) { head.appendChild(el("th", j === 4 ? "n" : "", h)); });
    var body = t.createTBody();
    x.samples.forEach(function (f) {
      var tr = body.insertRow();
      tr.className = "fg-sample";
      [[f[0] + " \u2192 " + f[1] + " " + f[2], "name"], [f[3] || "\u2014", "small"],
       [endpoint(f[4], f[5]), "mono"], [endpoint(f[6], f[7]), "mono"], [fmtBytes(f[8]), "n"],
       [f[9] === null || f[9] === undefined ? "\u2014" : f[9], "mono"],
       [fileLine(f[10], f[11]), "mono small fg-fileline"]].forEach(function (c) { tr.appendChild(el("td", c[1], c[0])); });
    });
    wrap.appendChild(t);
    return wrap;
  }

  function detailRow(x) {
    var tr = el("tr", "fg-flows");
    var td = el("td");
    td.colSpan = NCOLS;
    var p = el("p", "small");
    p.textContent = "Exception flows of this pair (one row per client, server, server port and protocol" +
      (x.n > x.flows.length ? "; the " + x.flows.length + " busiest of " + x.n + " \u2014 all in exceptions.csv" : "") +
      ").";
    td.appendChild(p);
    td.appendChild(flowTable(x));
    var samples = x.samples || [];
    var q = el("p", "small");
    q.textContent = samples.length ?
      "Sample flow-log records: the first record of the earliest connections of these flows, as logged " +
      "(up to " + D.samples_per_exception + " per pair, busiest flows first; each flow's first record is also " +
      "in exceptions.csv)." :
      "No sample flow-log records for this pair in the report.";
    td.appendChild(q);
    if (samples.length) { td.appendChild(sampleTable(x)); }
    tr.appendChild(td);
    return tr;
  }

  function toggle(x, button, tr) {
    var open = !state.open[x.i];
    state.open[x.i] = open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "\u25BE" : "\u25B8";
    if (open) { tr.parentNode.insertBefore(detailRow(x), tr.nextSibling); }
    else if (tr.nextSibling && tr.nextSibling.className === "fg-flows") { tr.parentNode.removeChild(tr.nextSibling); }
  }

  function serviceCell(name) {
    var td = el("td", "name");
    td.appendChild(el("span", "fg-svc", name));
    return td;
  }

  function renderTable() {
    if (!tbody) { return; }
    var key = SORTS[state.sort], dir = state.dir;
    var list = rows.filter(matches);
    list.sort(function (p, q) {
      var a = key(p), b = key(q);
      if (a < b) { return -dir; }
      if (a > b) { return dir; }
      return p.i - q.i;
    });
    clear(tbody);
    list.slice(0, state.limit).forEach(function (x) {
      var tr = el("tr", "fg-exc");
      tr.setAttribute("data-i", String(x.i));
      var first = el("td", "fg-toggle");
      var b = el("button", "fg-expand", state.open[x.i] ? "\u25BE" : "\u25B8");
      b.type = "button";
      b.setAttribute("aria-expanded", state.open[x.i] ? "true" : "false");
      b.setAttribute("aria-label", "Show the flows of this exception");
      first.appendChild(b);
      tr.appendChild(first);
      tr.appendChild(serviceCell(x.a));
      tr.appendChild(el("td", "name", zoneLabel(x.za)));
      tr.appendChild(serviceCell(x.b));
      tr.appendChild(el("td", "name", zoneLabel(x.zb)));
      tr.appendChild(el("td", "mono small", x.ports.join(", ")));
      tr.appendChild(el("td", "n", fmtInt(x.c)));
      tr.appendChild(el("td", "n", fmtBytes(x.by)));
      tr.appendChild(el("td", "small", x.l || "\u2014"));
      tbody.appendChild(tr);
      b.addEventListener("click", function () { toggle(x, b, tr); });
      if (state.open[x.i]) { tbody.appendChild(detailRow(x)); }
    });
    var shown = Math.min(list.length, state.limit);
    countLine.textContent = "Showing " + fmtInt(shown) + " of " + fmtInt(list.length) + " matching exceptions" +
      (list.length !== rows.length ? " (" + fmtInt(rows.length) + " in this page)" : "") +
      (D.total > rows.length ? "; " + fmtInt(D.total) + " in all, the rest in exceptions.csv" : "") + ".";
    if (moreButton) {
      moreButton.hidden = list.length <= state.limit;
      moreButton.textContent = "Show " + fmtInt(Math.min(PAGE, list.length - state.limit)) + " more";
    }
    var ths = table.tHead.querySelectorAll("th[data-sort]");
    for (var i = 0; i < ths.length; i += 1) {
      var k = ths[i].getAttribute("data-sort");
      ths[i].setAttribute("aria-sort", k === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  function setFilter(opts) {
    if (opts.text !== undefined) { state.text = opts.text.trim().toLowerCase(); if (filterInput) { filterInput.value = opts.text; } }
    if (opts.zone !== undefined) { state.zone = opts.zone; if (zoneSelect) { zoneSelect.value = opts.zone; } }
    if (opts.service !== undefined) { state.service = opts.service; }
    state.limit = PAGE;
    renderTable();
    var chip = document.getElementById("fg-exc-service");
    if (chip) {
      chip.hidden = !state.service;
      var label = chip.querySelector(".fg-chip-name");
      if (label) { label.textContent = state.service; }
    }
  }

  if (table) {
    show("fg-explorer");
    var ths = table.tHead.querySelectorAll("th[data-sort]");
    Array.prototype.forEach.call(ths, function (th) {
      var key = th.getAttribute("data-sort");
      var b = el("button", "fg-sort", th.textContent);
      b.type = "button";
      clear(th);
      th.appendChild(b);
      b.addEventListener("click", function () {
        if (state.sort === key) { state.dir = -state.dir; }
        else { state.sort = key; state.dir = (key === "c" || key === "by" || key === "n" || key === "l") ? -1 : 1; }
        renderTable();
      });
    });
    if (zoneSelect) {
      var all = el("option", "", "all zones");
      all.value = "";
      zoneSelect.appendChild(all);
      D.zones.forEach(function (z) {
        if (z.kind === "zone" || z.kind === "unassigned") {
          var o = el("option", "", z.label);
          o.value = z.key;
          zoneSelect.appendChild(o);
        }
      });
      zoneSelect.addEventListener("change", function () { setFilter({ zone: zoneSelect.value }); });
    }
    if (filterInput) { filterInput.addEventListener("input", function () { setFilter({ text: filterInput.value }); }); }
    if (moreButton) { moreButton.addEventListener("click", function () { state.limit += PAGE; renderTable(); }); }
    var clearSvc = document.getElementById("fg-exc-service-clear");
    if (clearSvc) { clearSvc.addEventListener("click", function () { setFilter({ service: "" }); }); }
    renderTable();
  }

  /* ---- zone panel --------------------------------------------------------------------- */
  var panel = document.getElementById("fg-zone-panel");
  var mapNodes = document.querySelectorAll("#fg-map [data-zone]");

  function serviceButton(name) {
    var b = el("button", "fg-chip", name);
    b.type = "button";
    b.addEventListener("click", function () { selectService(name); });
    return b;
  }

  function showZone(key, highlight) {
    var z = zones[key];
    if (!panel || !z) { return; }
    Array.prototype.forEach.call(mapNodes, function (n) {
      n.setAttribute("aria-pressed", n.getAttribute("data-zone") === key ? "true" : "false");
    });
    clear(panel);
    panel.hidden = false;
    var h = el("h3", "", z.label);
    h.id = "fg-zone-title";
    panel.appendChild(h);
    panel.appendChild(el("p", "small muted", KIND_TEXT[z.kind] || ""));
    var exc = rows.filter(function (x) { return x.za === key || x.zb === key; });
    panel.appendChild(el("h4", "", "Services (" + fmtInt(z.services.length) + ")"));
    var ul = el("ul", "fg-services");
    ul.id = "fg-zone-services";
    z.services.forEach(function (s) {
      var li = el("li", s === highlight ? "hl" : "");
      li.appendChild(serviceButton(s));
      ul.appendChild(li);
    });
    panel.appendChild(ul);
    var h4 = el("h4", "", "Exceptions (" + fmtInt(exc.length) + ")");
    panel.appendChild(h4);
    if (!exc.length) {
      panel.appendChild(el("p", "small", z.kind === "zone" || z.kind === "unassigned" ?
        "No exception touches this zone." : "Flows of this node are not zone exceptions."));
    } else {
      var list = el("ul", "fg-zone-exc");
      list.id = "fg-zone-exceptions";
      exc.slice(0, 50).forEach(function (x) {
        var inside = x.za === key ? x.a : x.b, other = x.za === key ? x.b : x.a;
        var otherZone = x.za === key ? x.zb : x.za;
        var li = el("li");
        li.appendChild(el("span", "fg-svc", inside));
        li.appendChild(document.createTextNode(" \u2194 "));
        li.appendChild(el("span", "fg-svc", other));
        li.appendChild(el("span", "muted small", " (" + zoneLabel(otherZone) + "; " + x.ports.join(", ") + "; " +
          fmtInt(x.c) + " connections)"));
        list.appendChild(li);
      });
      panel.appendChild(list);
      if (exc.length > 50) { panel.appendChild(el("p", "small muted", "\u2026 and " + fmtInt(exc.length - 50) + " more.")); }
      var b = el("button", "fg-action", "Show these " + fmtInt(exc.length) + " exceptions in the table");
      b.type = "button";
      b.id = "fg-zone-to-table";
      b.addEventListener("click", function () {
        setFilter({ zone: key, text: "", service: "" });
        var target = document.getElementById("fg-explorer");
        if (target && target.scrollIntoView) { target.scrollIntoView(); }
      });
      panel.appendChild(b);
    }
  }

  Array.prototype.forEach.call(mapNodes, function (n) {
    var key = n.getAttribute("data-zone");
    n.addEventListener("click", function () { showZone(key); });
    n.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); showZone(key); }
    });
  });

  /* ---- service search ----------------------------------------------------------------- */
  var search = document.getElementById("fg-search");
  var results = document.getElementById("fg-search-results");

  function selectService(name) {
    var key = serviceZone[name];
    if (key) { showZone(key, name); }
    setFilter({ service: name, text: "", zone: "" });
  }

  if (search && results) {
    show("fg-search-box");
    search.addEventListener("input", function () {
      clear(results);
      var q = search.value.trim().toLowerCase();
      if (!q) { return; }
      var hits = D.services.filter(function (s) { return s[0].toLowerCase().indexOf(q) >= 0; });
      hits.slice(0, 25).forEach(function (s) {
        var li = el("li");
        li.appendChild(serviceButton(s[0]));
        li.appendChild(el("span", "muted small", " " + zoneLabel(s[1])));
        results.appendChild(li);
      });
      results.appendChild(el("li", "muted small", hits.length > 25 ? "\u2026 " + fmtInt(hits.length - 25) + " more; type more letters." :
        (hits.length ? "" : "No service matches.")));
    });
  }
}());
