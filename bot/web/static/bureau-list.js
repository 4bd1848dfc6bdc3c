/* The sector office's inbox (/bureau), the list: the filters form, the table of requests
 * (open ones first, as the API orders them; « hors délai », « exonération en attente » as
 * words), the open count in the page's title, the export link following the filters, and
 * which requests are new since the last look (for the live announcement).
 * Amper.office.list: setup(), reset(), load(options), query(), markCurrent(reference).
 * Loaded after common.js, before bureau-detail.js (docs/office-contract.md).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element, button = Amper.button;
  var empty = Amper.empty, note = Amper.note, api = Amper.api;

  /* What the page's scripts share: the office's sectors, the refusal reasons the API gave,
     the references already seen (so that only new ones are announced), the open request. */
  var office = Amper.office = {
    state: { sectors: [], reasons: [], known: null, current: null, open: 0 }
  };
  var state = office.state;
  var run = { list: 0 };

  function loggedOut(result) { return office.loggedOut ? office.loggedOut(result) : false; }

  // --- the filters -----------------------------------------------------------------------------

  var FIELDS = [["filter-status", "statut"], ["filter-kind", "type"], ["filter-from", "du"],
                ["filter-to", "au"], ["filter-client", "client"]];

  /* The filters as a query string (``statut=open&type=…``), empty fields left out. */
  function query() {
    var parts = [];
    FIELDS.forEach(function (field) {
      var value = byId(field[0]).value.trim();
      if (value) { parts.push(field[1] + "=" + encodeURIComponent(value)); }
    });
    return parts.join("&");
  }

  function onFilter(event) {
    event.preventDefault();
    load({ focusNote: true });
  }

  // --- the title -------------------------------------------------------------------------------

  function setTitle(open) {
    state.open = Number(open) || 0;
    document.title = state.open > 0 ? format(texts.titleCount, { count: state.open }) : texts.title;
  }

  // --- the table -------------------------------------------------------------------------------

  function marksOf(item) {
    return (item.marks || []).filter(function (mark) { return !!mark; });
  }

  function badges(parent, item) {
    marksOf(item).forEach(function (mark) {
      parent.appendChild(document.createTextNode(" "));
      parent.appendChild(element("span", "badge badge-warning", mark));
    });
  }

  function cell(row, text, className) {
    var node = element("td", className || null, text);
    row.appendChild(node);
    return node;
  }

  function row(item) {
    var tr = element("tr", item.open ? "is-open" : "is-closed");
    tr.setAttribute("data-reference", item.reference);
    var first = element("td", "reference-cell");
    var open = button("open-request link-button");
    open.appendChild(element("span", "visually-hidden", texts.openButton));
    open.appendChild(document.createTextNode(item.reference));
    open.addEventListener("click", function () {
      office.detail.open(item.reference, { focus: true });
    });
    first.appendChild(open);
    tr.appendChild(first);
    cell(tr, item.kind_label || item.kind);
    var client = item.client || {};
    cell(tr, format(texts.clientCell, { name: client.name || "", number: client.number || "" }));
    var when = cell(tr, item.intervention || "");
    if (item.new_slot) {
      when.appendChild(element("span", "cell-line", format(texts.newSlot, { slot: item.new_slot })));
    }
    cell(tr, item.received_label || "");
    var status = element("td", "status-cell");
    var label = item.open ? item.status_label : item.outcome_label || item.status_label;
    status.appendChild(element("span", "status-label", label || item.status));
    badges(status, item);
    tr.appendChild(status);
    if (state.current === item.reference) { markRow(tr, true); }
    return tr;
  }

  function markRow(tr, on) {
    tr.classList.toggle("current", on);
    if (on) { tr.setAttribute("aria-current", "true"); } else { tr.removeAttribute("aria-current"); }
  }

  /* The row of ``reference`` marked as the one open in the detail (aria-current). */
  function markCurrent(reference) {
    Array.prototype.forEach.call(byId("requests-body").querySelectorAll("tr"), function (tr) {
      markRow(tr, tr.getAttribute("data-reference") === reference);
    });
  }

  function show(items, open) {
    var body = byId("requests-body");
    empty(body);
    items.forEach(function (item) { body.appendChild(row(item)); });
    note("list-note", items.length ? format(texts.listCount, { count: items.length, open: open })
                                   : texts.listNone);
  }

  /* The references of ``items`` never seen before, open ones only (when ``live``: a load
     asked by a live event; a change of filters announces nothing); all of them remembered. */
  function fresh(items, live) {
    var first = state.known === null;
    state.known = state.known || {};
    var found = [];
    items.forEach(function (item) {
      if (live && !first && !state.known[item.reference] && item.open) { found.push(item.reference); }
      state.known[item.reference] = true;
    });
    return found;
  }

  /* GET /api/bureau/demandes with the filters; resolves to the new references (options.live:
     asked by a live event).  A newer load wins over an older one still on its way. */
  function load(options) {
    options = options || {};
    var mine = ++run.list;
    var filters = query();
    byId("export-link").href = "/api/bureau/export.csv" + (filters ? "?" + filters : "");
    if (!options.live) { byId("requests-body").setAttribute("aria-busy", "true"); }
    return api("GET", "/api/bureau/demandes" + (filters ? "?" + filters : "")).then(function (result) {
      if (mine !== run.list) { return []; }
      byId("requests-body").removeAttribute("aria-busy");
      if (loggedOut(result)) { return []; }
      if (!result.ok) { note("list-note", result.data.error || texts.listFailed); return []; }
      var items = result.data.requests || [];
      state.reasons = result.data.refusal_reasons || state.reasons;
      var open = typeof result.data.open === "number" ? result.data.open
        : items.filter(function (item) { return item.open; }).length;
      setTitle(open);
      show(items, open);
      if (options.focusNote) { byId("list-note").focus(); }
      return fresh(items, !!options.live);
    }, function () {
      if (mine !== run.list) { return []; }
      byId("requests-body").removeAttribute("aria-busy");
      note("list-note", texts.listFailed);
      return [];
    });
  }

  function reset() {
    run.list += 1;
    empty(byId("requests-body"));
    note("list-note", "");
    state.known = null;
    state.reasons = [];
    state.current = null;
    byId("filters").reset();
    setTitle(0);
  }

  function setup() {
    byId("filters").addEventListener("submit", onFilter);
  }

  office.list = { setup: setup, reset: reset, load: load, query: query, setTitle: setTitle,
                  markCurrent: markCurrent };
})();
