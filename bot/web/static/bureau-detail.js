/* The sector office's inbox (/bureau), one request: the detail region (what was asked, the
 * client, the rule and the billing, the marks, the decision taken), its history, and the
 * decisions the API allows now (item.decisions) — refusal with a reason and an optional note.
 * The version shown is sent with the decision: a request changed meanwhile is answered 409,
 * whose sentence is shown and whose item replaces the one on screen.  One decision at a time:
 * the buttons are disabled (aria-disabled) while one is on its way, a second click sends
 * nothing.  Amper.office.detail: setup(), reset(), open(reference, options), refresh(reference).
 * Loaded after bureau-list.js (docs/office-contract.md).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element, button = Amper.button;
  var empty = Amper.empty, api = Amper.api, post = Amper.post;
  var office = Amper.office;  // bureau-list.js
  var state = office.state;
  var detail = { item: null, run: 0, busy: false };

  var DECISIONS = ["acknowledge", "accept", "refuse", "grant_exemption"];
  var NOTE_MAX = 200;

  function loggedOut(result) { return office.loggedOut ? office.loggedOut(result) : false; }

  function path(reference) { return "/api/bureau/demandes/" + encodeURIComponent(reference); }

  // --- messages --------------------------------------------------------------------------------

  function showError(text) {
    var node = byId("decision-error");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function showResult(text) { byId("decision-result").textContent = text || ""; }

  // --- the request -------------------------------------------------------------------------------

  function field(list, label, value) {
    if (value === null || value === undefined || value === "") { return; }
    list.appendChild(element("dt", null, label));
    list.appendChild(element("dd", null, value));
  }

  function fields(item) {
    var list = byId("detail-fields");
    empty(list);
    var client = item.client || {};
    field(list, texts.fieldAsked, item.asked || item.kind_label);
    field(list, texts.fieldClient, format(texts.clientCell, { name: client.name || "", number: client.number || "" }));
    field(list, texts.fieldIntervention, item.intervention);
    field(list, texts.fieldNewSlot, item.new_slot);
    field(list, texts.fieldRule, item.rule);
    field(list, texts.fieldBilling, item.billing);
    field(list, texts.fieldReason, item.reason_label);
    field(list, texts.fieldChannel, item.channel_label);
    field(list, texts.fieldReceived, item.received_label);
    field(list, texts.fieldActor, item.actor);
    field(list, texts.fieldStatus, item.status_label || item.status);
    if (item.decided_by || item.decided_label) {
      field(list, texts.fieldDecision, format(texts.decided, {
        outcome: item.outcome_label || item.status_label || "", actor: item.decided_by || "",
        when: item.decided_label || "" }));
    }
    field(list, texts.fieldRefusal, item.refusal_label);
    field(list, texts.fieldNote, item.note);
  }

  function marks(item) {
    var list = byId("detail-marks");
    empty(list);
    var found = (item.marks || []).filter(function (mark) { return !!mark; });
    found.forEach(function (mark) {
      var li = element("li");
      li.appendChild(element("span", "badge badge-warning", mark));
      list.appendChild(li);
    });
    list.hidden = !found.length;
  }

  function history(item) {
    if (!Array.isArray(item.history)) { return; }  // a decision's answer: the last one stays
    var list = byId("history");
    empty(list);
    if (!item.history.length) { list.appendChild(element("li", "help", texts.historyNone)); }
    item.history.forEach(function (entry) {
      list.appendChild(element("li", null, format(texts.historyLine, {
        when: entry.at_label || entry.at || "", actor: entry.actor || "", what: entry.what || "" })));
    });
  }

  function decisionButtons(item) {
    var box = byId("decision-buttons");
    empty(box);
    var allowed = DECISIONS.filter(function (d) { return (item.decisions || []).indexOf(d) >= 0; });
    allowed.forEach(function (decision) {
      var node = button("decides" + (decision === "accept" ? " primary" : ""), texts[decision]);
      node.setAttribute("data-decision", decision);
      if (decision === "refuse") {
        node.setAttribute("aria-expanded", "false");
        node.setAttribute("aria-controls", "refusal-form");
      }
      node.addEventListener("click", function () { onDecision(decision, node); });
      box.appendChild(node);
    });
    if (!allowed.length) { box.appendChild(element("p", "help", texts.decisionsNone)); }
    if (allowed.indexOf("refuse") < 0) { hideRefusal(); }
    markBusy();
  }

  function render(item) {
    var previous = detail.item;
    detail.item = item;
    state.current = item.reference;
    byId("detail-title").textContent = format(texts.detailTitle, { reference: item.reference });
    byId("detail-note").hidden = true;
    byId("detail-body").hidden = false;
    marks(item);
    fields(item);
    history(item);
    decisionButtons(item);
    office.list.markCurrent(item.reference);
    return previous;
  }

  function address(reference) {
    var wanted = "/bureau/demande/" + encodeURIComponent(reference);
    if (window.location.pathname !== wanted && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", wanted);
    }
  }

  /* GET the request and show it; options.focus: its title takes the focus; options.quiet: the
     messages of the decision area stay (a refresh). */
  function open(reference, options) {
    options = options || {};
    var mine = ++detail.run;
    if (!options.quiet) { showError(""); showResult(""); hideRefusal(); }
    return api("GET", path(reference)).then(function (result) {
      if (mine !== detail.run) { return; }
      if (loggedOut(result)) { return; }
      if (!result.ok || !result.data.request) {
        if (options.quiet) { return; }
        showMissing(result.data.error || texts.detailFailed, options.focus);
        return;
      }
      var before = detail.item;
      render(result.data.request);
      if (options.quiet && before && before.reference === reference && !options.ours
          && before.version !== result.data.request.version) {
        showResult(texts.changedMeanwhile);
      }
      address(reference);
      if (options.focus) { byId("detail-title").focus(); }
    }, function () {
      if (mine !== detail.run || options.quiet) { return; }
      showMissing(texts.detailFailed, options.focus);
    });
  }

  function showMissing(text, focus) {
    detail.item = null;
    state.current = null;
    byId("detail-title").textContent = format(texts.detailTitle, { reference: "" }).trim();
    byId("detail-body").hidden = true;
    var noteNode = byId("detail-note");
    noteNode.textContent = text;
    noteNode.hidden = false;
    office.list.markCurrent(null);
    if (focus) { byId("detail-title").focus(); }
  }

  /* The request shown again from the API, if it is ``reference`` and nobody is deciding or
     writing a refusal on it (a live event). */
  function refresh(reference) {
    if (!detail.item || detail.item.reference !== reference || detail.busy) { return; }
    if (!byId("refusal-form").hidden) { return; }
    open(reference, { quiet: true });
  }

  // --- decisions -------------------------------------------------------------------------------

  function markBusy() {
    Array.prototype.forEach.call(document.querySelectorAll(".decides"), function (node) {
      if (detail.busy) { node.setAttribute("aria-disabled", "true"); } else { node.removeAttribute("aria-disabled"); }
    });
  }

  function onDecision(decision, node) {
    if (detail.busy || !detail.item) { return; }
    if (decision === "refuse") {
      if (byId("refusal-form").hidden) { showRefusal(node); } else { hideRefusal(true); }
      return;
    }
    decide(decision, {});
  }

  function decide(decision, extra) {
    if (detail.busy || !detail.item) { return; }
    var item = detail.item;
    detail.busy = true;
    markBusy();
    showError("");
    showResult(texts.sending);
    var body = { decision: decision, version: item.version };
    Object.keys(extra).forEach(function (key) { body[key] = extra[key]; });
    post(path(item.reference) + "/decision", body).then(function (result) {
      detail.busy = false;
      markBusy();
      if (loggedOut(result)) { return; }
      if (result.ok || result.status === 409) {
        if (result.ok) { showResult(result.data.message || texts.decisionDone); hideRefusal(); } else { showResult(""); }
        if (result.data.request) { render(result.data.request); }
        if (!result.ok) { showError(result.data.error || texts.detailFailed); }
        byId(result.ok ? "decision-result" : "decision-error").focus();
        open(item.reference, { quiet: true, ours: true });  // the history with the new line
        office.list.load({ live: true });
        return;
      }
      showResult("");
      showError(result.data.error || texts.decisionFailed);
      byId("decision-error").focus();
    }, function () {
      detail.busy = false;
      markBusy();
      showResult("");
      showError(texts.decisionFailed);
      byId("decision-error").focus();
    });
  }

  // --- the refusal form ------------------------------------------------------------------------

  function reasonOptions() {
    var select = byId("refusal-reason");
    var chosen = select.value;
    empty(select);
    var first = element("option", null, texts.chooseReason);
    first.value = "";
    select.appendChild(first);
    (state.reasons || []).forEach(function (reason) {
      var option = element("option", null, reason.label);
      option.value = reason.code;
      select.appendChild(option);
    });
    select.value = chosen;
    if (select.value !== chosen) { select.value = ""; }
  }

  function showRefusal(trigger) {
    reasonOptions();
    byId("refusal-form").hidden = false;
    if (trigger) { trigger.setAttribute("aria-expanded", "true"); }
    byId("refusal-reason").focus();
  }

  function refuseButton() {
    return byId("decision-buttons").querySelector('[data-decision="refuse"]');
  }

  function hideRefusal(focusBack) {
    var form = byId("refusal-form");
    var wasOpen = !form.hidden;
    form.hidden = true;
    form.reset();
    var trigger = refuseButton();
    if (trigger) {
      trigger.setAttribute("aria-expanded", "false");
      if (focusBack && wasOpen) { trigger.focus(); }
    }
  }

  function onRefusal(event) {
    event.preventDefault();
    if (detail.busy) { return; }
    var reason = byId("refusal-reason").value;
    var noteText = byId("refusal-note").value.trim();
    if (!reason) { showError(texts.reasonMissing); byId("refusal-reason").focus(); return; }
    if (noteText.length > NOTE_MAX) { showError(texts.noteTooLong); byId("refusal-note").focus(); return; }
    var extra = { reason: reason };
    if (noteText) { extra.note = noteText; }
    decide("refuse", extra);
  }

  function reset() {
    detail.run += 1;
    detail.item = null;
    detail.busy = false;
    hideRefusal();
    showError("");
    showResult("");
    empty(byId("detail-fields"));
    empty(byId("history"));
    empty(byId("decision-buttons"));
    byId("detail-title").textContent = format(texts.detailTitle, { reference: "" }).trim();
    byId("detail-body").hidden = true;
    byId("detail-note").textContent = texts.detailNone;
    byId("detail-note").hidden = false;
  }

  function setup() {
    byId("refusal-form").addEventListener("submit", onRefusal);
    byId("refusal-cancel").addEventListener("click", function () { hideRefusal(true); });
    byId("decision-result").setAttribute("tabindex", "-1");
    byId("decision-error").setAttribute("tabindex", "-1");
  }

  office.detail = { setup: setup, reset: reset, open: open, refresh: refresh,
                    current: function () { return detail.item; } };
})();
