// The report page's one script: renders the per-problem table from the JSON embedded in the page, with filters
// (wrong / disagreeing / no answer / truncated / drift, and A ≠ B when comparing), a suite choice, text search and
// pages of 25 problems. Every text goes in through textContent, never as markup. Plain ES2017, no template
// literals (this file holds it in one), no network.

export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var runs = data.runs;
  var problems = data.problems;
  var PAGE = 25;
  var state = { filter: "all", suite: "", q: "", page: 0 };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function fracRight(samples) {
    if (!samples || samples.length === 0) return null;
    var c = 0;
    for (var i = 0; i < samples.length; i++) if (samples[i].c) c++;
    return c / samples.length;
  }

  function disagree(samples) {
    if (!samples || samples.length < 2) return false;
    for (var i = 1; i < samples.length; i++) {
      if (samples[i].c !== samples[0].c || samples[i].x !== samples[0].x) return true;
    }
    return false;
  }

  function anySample(p, pred) {
    for (var r = 0; r < p.r.length; r++) {
      var list = p.r[r] || [];
      for (var i = 0; i < list.length; i++) if (pred(list[i])) return true;
    }
    return false;
  }

  var FILTERS = {
    all: function () { return true; },
    wrong: function (p) { return anySample(p, function (s) { return !s.c; }); },
    allwrong: function (p) {
      for (var r = 0; r < p.r.length; r++) { var f = fracRight(p.r[r]); if (f !== null && f > 0) return false; }
      return true;
    },
    disagree: function (p) { for (var r = 0; r < p.r.length; r++) if (disagree(p.r[r])) return true; return false; },
    noanswer: function (p) { return anySample(p, function (s) { return s.x === null; }); },
    truncated: function (p) { return anySample(p, function (s) { return s.f === "length"; }); },
    drift: function (p) { return anySample(p, function (s) { return s.d; }); },
    runsdiffer: function (p) {
      var a = fracRight(p.r[0]);
      var b = fracRight(p.r[1]);
      return a !== null && b !== null && a !== b;
    }
  };

  function matches(p) {
    if (state.suite && p.s !== state.suite) return false;
    if (!FILTERS[state.filter](p)) return false;
    if (state.q) {
      var q = state.q.toLowerCase();
      var hay = (p.id + "\n" + p.q + "\n" + p.g).toLowerCase();
      if (hay.indexOf(q) < 0 && !anySample(p, function (s) { return s.x !== null && s.x.toLowerCase().indexOf(q) >= 0; })) return false;
    }
    return true;
  }

  function sampleChip(s, run, detail) {
    var b = el("button", "sample " + (s.c ? "right" : "wrong"));
    b.type = "button";
    b.appendChild(el("span", "mark", s.c ? "\u2713" : "\u2717"));
    var ans = s.x === null ? "(no answer)" : s.x;
    b.appendChild(el("code", "ans", ans.length > 28 ? ans.slice(0, 27) + "\u2026" : ans));
    var tags = [];
    if (s.f !== "stop") tags.push(s.f);
    if (s.d) tags.push("drift");
    if (tags.length) b.appendChild(el("span", "tags", tags.join(" \u00b7 ")));
    b.title = (runs.length > 1 ? runs[run].short + " " : "") + "sample " + s.i + ": " + (s.c ? "right" : "wrong") + " (" + s.why + "); answer " + ans;
    b.addEventListener("click", function () {
      var key = run + ":" + s.i;
      if (detail.getAttribute("data-key") === key && !detail.hidden) { detail.hidden = true; b.classList.remove("open"); return; }
      var prevOpen = detail.parentNode ? detail.parentNode.querySelectorAll("button.sample.open") : [];
      for (var i = 0; i < prevOpen.length; i++) prevOpen[i].classList.remove("open");
      b.classList.add("open");
      detail.setAttribute("data-key", key);
      var cell = detail.firstChild;
      while (cell.firstChild) cell.removeChild(cell.firstChild);
      cell.appendChild(el("div", "meta",
        (runs.length > 1 ? runs[run].short + ": " + runs[run].model + " \u00b7 " : "") + "sample " + s.i + " \u00b7 " +
        (s.c ? "right" : "wrong") + " (" + s.why + ") \u00b7 extracted " + ans + " \u00b7 finish " + s.f +
        (s.t !== null ? " \u00b7 " + s.t + " tokens" : "") + (s.th ? "" : " \u00b7 no </think>") + (s.d ? " \u00b7 language drift" : "") +
        " \u00b7 record " + s.ln + " of samples.jsonl"));
      cell.appendChild(el("pre", "completion", s.txt));
      detail.hidden = false;
    });
    return b;
  }

  function rows(p) {
    var tr = el("tr", "problem");
    var detail = el("tr", "detail");
    detail.hidden = true;
    var dcell = el("td");
    dcell.colSpan = 4;
    detail.appendChild(dcell);
    var c1 = el("td", "pid");
    c1.appendChild(el("div", "suite", data.suites[p.s] || p.s));
    c1.appendChild(el("div", "id", p.id));
    var keys = Object.keys(p.m);
    for (var i = 0; i < keys.length; i++) c1.appendChild(el("span", "chip", keys[i] + ": " + p.m[keys[i]]));
    tr.appendChild(c1);
    var c2 = el("td", "question");
    if (p.q.length > 280) {
      var d = el("details");
      d.appendChild(el("summary", null, p.q.slice(0, 280) + " \u2026"));
      d.appendChild(el("div", "full", p.q));
      c2.appendChild(d);
    } else c2.textContent = p.q;
    tr.appendChild(c2);
    tr.appendChild(el("td", "gold")).appendChild(el("code", null, p.g));
    var c4 = el("td", "samples");
    for (var r = 0; r < p.r.length; r++) {
      var list = p.r[r] || [];
      var line = el("div", "run-samples");
      if (runs.length > 1) line.appendChild(el("span", "run-label", runs[r].short));
      if (list.length === 0) line.appendChild(el("span", "none", "no samples"));
      for (var k = 0; k < list.length; k++) line.appendChild(sampleChip(list[k], r, detail));
      c4.appendChild(line);
    }
    tr.appendChild(c4);
    return [tr, detail];
  }

  var body = document.getElementById("problem-rows");
  var info = document.getElementById("problem-count");
  var prev = document.getElementById("page-prev");
  var next = document.getElementById("page-next");

  function render() {
    var shown = [];
    for (var i = 0; i < problems.length; i++) if (matches(problems[i])) shown.push(problems[i]);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var from = state.page * PAGE;
    var to = Math.min(shown.length, from + PAGE);
    while (body.firstChild) body.removeChild(body.firstChild);
    for (var j = from; j < to; j++) {
      var pair = rows(shown[j]);
      body.appendChild(pair[0]);
      body.appendChild(pair[1]);
    }
    info.textContent = shown.length === 0 ? "no problem matches" :
      "problems " + (from + 1) + "\u2013" + to + " of " + shown.length + " (page " + (state.page + 1) + " of " + pages + ")";
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    document.body.setAttribute("data-shown", String(shown.length));
  }

  document.getElementById("filter").addEventListener("change", function (e) { state.filter = e.target.value; state.page = 0; render(); });
  document.getElementById("suite").addEventListener("change", function (e) { state.suite = e.target.value; state.page = 0; render(); });
  document.getElementById("search").addEventListener("input", function (e) { state.q = e.target.value.trim(); state.page = 0; render(); });
  prev.addEventListener("click", function () { state.page--; render(); });
  next.addEventListener("click", function () { state.page++; render(); });
  render();
})();
`;
