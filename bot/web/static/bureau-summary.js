/* The sector office's inbox (/bureau), the month's summary: the link « Synthèse du mois »
 * opens a small section with a month field (this month by default), the counts by type and
 * outcome (GET /api/bureau/synthese?mois=AAAA-MM), the late cancellations billed, and the
 * same as CSV (/api/bureau/synthese.csv?mois=…).  Amper.office.summary: setup(), reset().
 * Loaded after bureau-live.js (docs/office-contract.md).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element;
  var empty = Amper.empty, note = Amper.note, api = Amper.api;
  var office = Amper.office;  // bureau-list.js
  var run = { summary: 0 };

  var MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

  function loggedOut(result) { return office.loggedOut ? office.loggedOut(result) : false; }

  function thisMonth() {
    var now = new Date();
    return now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2);
  }

  function csvLink(month) {
    byId("summary-csv").href = "/api/bureau/synthese.csv?mois=" + encodeURIComponent(month);
  }

  function clientText(client) {
    if (client && typeof client === "object") {
      return format(texts.clientCell, { name: client.name || "", number: client.number || "" });
    }
    return client || "";
  }

  function show(data) {
    byId("summary-title").textContent = format(texts.summaryTitle, { label: data.label || data.month || "" });
    var body = byId("summary-rows");
    empty(body);
    var rows = data.rows || [];
    rows.forEach(function (row) {
      var tr = element("tr");
      tr.appendChild(element("td", null, row.kind_label));
      tr.appendChild(element("td", null, row.outcome_label));
      tr.appendChild(element("td", "number", row.count));
      body.appendChild(tr);
    });
    byId("summary-total").textContent = format(texts.summaryTotal, { total: data.total || 0 });
    var billed = byId("summary-billed");
    empty(billed);
    var late = data.billed_late_cancellations || [];
    if (!late.length) { billed.appendChild(element("li", "help", texts.summaryBilledNone)); }
    late.forEach(function (line) {
      billed.appendChild(element("li", null, format(texts.summaryBilledLine, {
        reference: line.reference || "", client: clientText(line.client),
        intervention: line.intervention || "", decided: line.decided || "" })));
    });
    byId("summary-body").hidden = false;
    note("summary-note", rows.length ? "" : texts.summaryNone);
  }

  function load() {
    var month = byId("summary-month").value.trim();
    if (!MONTH.test(month)) {
      byId("summary-body").hidden = true;
      note("summary-note", texts.monthMissing);
      byId("summary-month").focus();
      return;
    }
    csvLink(month);
    var mine = ++run.summary;
    api("GET", "/api/bureau/synthese?mois=" + encodeURIComponent(month)).then(function (result) {
      if (mine !== run.summary) { return; }
      if (loggedOut(result)) { return; }
      if (!result.ok) {
        byId("summary-body").hidden = true;
        note("summary-note", result.data.error || texts.summaryFailed);
        return;
      }
      show(result.data);
    }, function () {
      if (mine !== run.summary) { return; }
      byId("summary-body").hidden = true;
      note("summary-note", texts.summaryFailed);
    });
  }

  function onLink(event) {
    event.preventDefault();
    var section = byId("summary");
    section.hidden = false;
    if (!byId("summary-month").value) { byId("summary-month").value = thisMonth(); }
    load();
    byId("summary-heading").focus();
  }

  function onSubmit(event) {
    event.preventDefault();
    load();
  }

  function reset() {
    run.summary += 1;
    byId("summary").hidden = true;
    byId("summary-body").hidden = true;
    byId("summary-month").value = "";
    note("summary-note", "");
  }

  function setup() {
    byId("summary-link").addEventListener("click", onLink);
    byId("summary-form").addEventListener("submit", onSubmit);
    byId("summary-month").addEventListener("change", function () {
      if (MONTH.test(byId("summary-month").value)) { csvLink(byId("summary-month").value); }
    });
    csvLink(thisMonth());
  }

  office.summary = { setup: setup, reset: reset };
})();
