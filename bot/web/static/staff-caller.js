/* The staff's screen (/conseiller), the caller: the client search (as you type, arrows to
 * the list), the caller's file (requests, next interventions with their cancellation and change
 * rules), the conversation with the assistant on the caller's behalf, the callback request.
 * Amper.staff.caller: setup(), reset().  Loaded after common.js, before conseiller.js
 * (docs/staff-contract.md).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var DEBOUNCE_MS = 250;
  var CLIENT_MIN_CHARS = 2;

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element, button = Amper.button;
  var empty = Amper.empty, note = Amper.note, api = Amper.api, post = Amper.post;
  var state = { clientRun: 0, clientTimer: null, clientAbort: null, fileRun: 0, refreshRun: 0,
                client: null, fileShown: null };

  var clientSearch = byId("client-search");
  var clientList = byId("client-list");
  // the caller chat: the conversation in the caller's name, for the caller whose file is open
  var conversation = Amper.conversation({
    send: send,
    path: "/api/conseiller/messages",
    body: function (pending) { return { client: pending.client, message: pending.message, id: pending.id }; },
    current: function (pending) { return sameClient(pending.client); },  // else another file is open
    answered: function () { refreshFile(); },
    refused: loggedOut
  });
  var log = conversation.log;

  function loggedOut(result) { return Amper.staff.loggedOut(result); }

  function sameClient(number) {
    return !!state.client && String(state.client.number) === String(number);
  }

  // --- the client search and the caller's file ------------------------------------------------

  function onClientInput() {
    window.clearTimeout(state.clientTimer);
    var query = clientSearch.value.trim();
    if (query.length < CLIENT_MIN_CHARS) {
      state.clientRun += 1;
      if (state.clientAbort) { state.clientAbort.abort(); state.clientAbort = null; }
      showClients(null);
      note("client-note", query ? texts.clientMinChars : "");
      return;
    }
    state.clientTimer = window.setTimeout(function () { findClients(query); }, DEBOUNCE_MS);
  }

  function findClients(query) {
    var run = ++state.clientRun;
    if (state.clientAbort) { state.clientAbort.abort(); }
    state.clientAbort = window.AbortController ? new AbortController() : null;
    api("GET", "/api/conseiller/clients?q=" + encodeURIComponent(query), null, state.clientAbort)
      .then(function (result) {
        if (run !== state.clientRun) { return; }
        state.clientAbort = null;
        if (loggedOut(result)) { return; }
        if (!result.ok) { showClients(null); note("client-note", result.data.error || texts.clientsFailed); return; }
        var clients = result.data.clients || [];
        showClients(clients);
        note("client-note", clients.length ? format(texts.clientsFound, { count: clients.length })
                                          : texts.noClients);
      }, function () {
        if (run !== state.clientRun) { return; }
        state.clientAbort = null;
        showClients(null);
        note("client-note", texts.clientsFailed);
      });
  }

  function showClients(clients) {
    empty(clientList);
    clientList.hidden = !clients || !clients.length;
    (clients || []).forEach(function (client) {
      var item = element("li", "client");
      var choose = button("client-choice", format(texts.clientButton,
        { name: client.name, number: client.number }));
      choose.addEventListener("click", function () { openClient(client.number, true); });
      item.appendChild(choose);
      if (client.phone || client.sector) {
        item.appendChild(element("span", "client-meta", format(texts.clientMeta,
          { phone: client.phone || "–", sector: client.sector || "–" })));
      }
      clientList.appendChild(item);
    });
  }

  function onClientKey(event) {
    if (event.key === "Enter" || event.key === "ArrowDown") {
      var buttons = clientList.querySelectorAll("button");
      if (!buttons.length) { return; }
      event.preventDefault();
      if (event.key === "Enter" && buttons.length === 1) { buttons[0].click(); return; }
      buttons[0].focus();
    }
  }

  function onClientListKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var buttons = Array.prototype.slice.call(clientList.querySelectorAll("button"));
    var at = buttons.indexOf(document.activeElement);
    if (at === -1) { return; }
    event.preventDefault();
    if (event.key === "ArrowUp" && at === 0) { clientSearch.focus(); return; }
    var next = buttons[Math.max(0, Math.min(buttons.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))];
    next.focus();
  }

  /* Opens the caller's file (``focus``: move the focus to its heading); the caller chat shows
     this caller's history. */
  function openClient(number, focus) {
    var run = ++state.fileRun;
    state.refreshRun += 1;  // a refresh of the previous file is no longer wanted
    return api("GET", "/api/conseiller/clients/" + encodeURIComponent(number)).then(function (result) {
      if (run !== state.fileRun) { return; }
      if (loggedOut(result)) { return; }
      if (!result.ok) { note("client-note", result.data.error || texts.fileFailed); return; }
      var data = result.data;
      var changed = !state.client || String(state.client.number) !== String(data.client.number);
      setClient(data.client);
      showFile(data);
      if (changed) { showHistory(data.history || []); }
      if (focus) { byId("file-title").focus(); }
    }, function () {
      if (run !== state.fileRun) { return; }
      note("client-note", texts.fileFailed);
    });
  }

  /* The file again after an answer (a new request, a cancelled line), the focus left alone. */
  function refreshFile() {
    if (!state.client) { return; }
    var number = state.client.number;
    var run = ++state.refreshRun;
    api("GET", "/api/conseiller/clients/" + encodeURIComponent(number)).then(function (result) {
      if (run !== state.refreshRun || !result.ok || !state.client) { return; }
      if (String(state.client.number) !== String(number)) { return; }
      showFile(result.data);
    }, function () { /* the file shown stays */ });
  }

  function setClient(client) {
    var before = state.client;
    state.client = client || null;
    var file = byId("file");
    if (!state.client) {
      file.hidden = true;
      state.fileShown = null;
      byId("chat-client").textContent = texts.chooseClient;
      byId("callback-phone").value = "";
      byId("callback-time").value = "";
      byId("callback-topic").selectedIndex = 0;
      note("callback-result", "");
      showCallbackError("");
      conversation.clear();
      return;
    }
    file.hidden = false;
    var values = { name: client.name, number: client.number,
                   phone: client.phone || "–", sector: client.sector || "–" };
    byId("file-title").textContent = format(texts.fileTitle, values);
    byId("file-info").textContent = format(texts.fileInfo, values);
    byId("chat-client").textContent = format(texts.chatFor, values);
    if (!before || String(before.number) !== String(client.number)) {
      state.fileShown = null;
      byId("callback-phone").value = client.phone || "";
      byId("callback-time").value = "";
      byId("callback-topic").selectedIndex = 0;
      note("callback-result", "");
      showCallbackError("");
    }
  }

  function showFile(data) {
    var seen = JSON.stringify([data.interventions, data.requests]);
    if (seen === state.fileShown) { return; }  // unchanged: the focus stays where it is
    state.fileShown = seen;
    showLines(data.interventions || []);
    Amper.showRequests("file-requests", "file-requests-note", data.requests || []);
  }

  function ruleLine(className, text, flagged, flagText, okText) {
    var line = element("p", "rule-line " + className + (flagged ? " flagged" : ""));
    line.appendChild(element("span", "badge" + (flagged ? " badge-warning" : " badge-ok"),
                             flagged ? flagText : okText));
    line.appendChild(document.createTextNode(" " + (text || "")));
    return line;
  }

  function showLines(lines) {
    var list = byId("file-lines");
    empty(list);
    note("file-lines-note", lines.length ? "" : texts.noInterventions);
    lines.forEach(function (line) {
      var item = element("li", "line");
      var when = element("p", "line-when");
      when.appendChild(element("strong", null, line.when));
      if (line.hours) { when.appendChild(document.createTextNode(", " + line.hours)); }
      item.appendChild(when);
      var details = [line.service, line.caregiver ? format(texts.caregiver, { name: line.caregiver }) : ""]
        .filter(Boolean).join(" – ");
      if (details) { item.appendChild(element("p", "line-details", details)); }
      if (line.cancel_rule) {
        item.appendChild(ruleLine("cancel-rule", line.cancel_rule, !!line.cancel_billed,
                                  texts.billed, texts.free));
      }
      if (line.change_rule) {
        item.appendChild(ruleLine("change-rule", line.change_rule, line.change_in_time === false,
                                  texts.late, texts.inTime));
      }
      var actions = element("div", "line-actions");
      [[line.cancel, texts.cancelLine, texts.cancelShort],
       [line.change, texts.changeLine, texts.changeShort]].forEach(function (spec) {
        if (!spec[0]) { return; }
        var label = format(spec[1], { when: line.when, hours: line.hours || "" }).trim();
        var node = button("sends", spec[2]);  // short on screen, the whole line for the ear
        node.setAttribute("aria-label", label);
        node.addEventListener("click", function () {
          if (send(spec[0], label)) { log.focus(); }
        });
        actions.appendChild(node);
      });
      item.appendChild(actions);
      list.appendChild(item);
    });
    conversation.markBusy();
  }

  // --- the caller chat -----------------------------------------------------------------------

  function showHistory(history) {
    conversation.clear();
    history.forEach(conversation.render);
  }

  /* Shows the message at once, then sends it for the current caller; false (nothing done)
     while one is in flight or when no caller is chosen. */
  function send(message, label) {
    if (conversation.busy) { return false; }
    if (!state.client) { conversation.showError(texts.chooseClient, null); return false; }
    return conversation.send(message, label, { client: state.client.number });
  }

  // --- the callback request ------------------------------------------------------------------

  function showCallbackError(text) {
    var error = byId("callback-error");
    error.textContent = text || "";
    error.hidden = !text;
  }

  function onCallback(event) {
    event.preventDefault();
    var submit = byId("callback-submit");
    if (submit.getAttribute("aria-disabled") === "true") { return; }
    note("callback-result", "");
    if (!state.client) { showCallbackError(texts.chooseClient); return; }
    var phone = byId("callback-phone").value.trim();
    if (!phone) { showCallbackError(texts.callbackPhone); byId("callback-phone").focus(); return; }
    showCallbackError("");
    submit.setAttribute("aria-disabled", "true");
    var body = { client: state.client.number, phone: phone,
                 best_time: byId("callback-time").value.trim(),
                 topic: byId("callback-topic").value };
    post("/api/conseiller/rappels", body).then(function (result) {
      if (loggedOut(result)) { return; }
      if (!result.ok) { showCallbackError(result.data.error || texts.callbackFailed); return; }
      note("callback-result", format(texts.callbackSent, {
        message: result.data.message || texts.callbackDone, reference: result.data.reference || "" }));
      refreshFile();
    }).catch(function () {
      showCallbackError(texts.callbackFailed);
    }).then(function () { submit.removeAttribute("aria-disabled"); });
  }

  /* Back to an empty search and no caller (login, logout): answers on their way are dropped. */
  function reset() {
    window.clearTimeout(state.clientTimer);
    state.clientRun += 1;
    state.fileRun += 1;
    state.refreshRun += 1;
    if (state.clientAbort) { state.clientAbort.abort(); }
    clientSearch.value = "";
    showClients(null);
    note("client-note", "");
    setClient(null);
  }

  function setup() {
    clientSearch.addEventListener("input", onClientInput);
    clientSearch.addEventListener("keydown", onClientKey);
    clientList.addEventListener("keydown", onClientListKey);
    byId("callback-form").addEventListener("submit", onCallback);
    conversation.setupComposer();
  }

  Amper.staff = Amper.staff || {};
  Amper.staff.caller = { setup: setup, reset: reset };
})();
