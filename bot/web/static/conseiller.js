/* The phone-line staff's screen (/conseiller), against docs/staff-contract.md.
 *
 * Everything the API returns is inserted as text (textContent, createElement, text nodes),
 * never as markup.  The French sentences come from the page
 * (<script type="application/json" id="amper-texts">), the FAQ topics from its
 * <template id="topic-options">.
 */
(function () {
  "use strict";

  var REQUEST_TIMEOUT_MS = 60000;
  var DEBOUNCE_MS = 250;
  var ANSWER_MIN_CHARS = 3;
  var CLIENT_MIN_CHARS = 2;
  var COPIED_MS = 4000;

  var texts = JSON.parse(document.getElementById("amper-texts").textContent);
  var state = {
    csrf: "", staff: null, sectors: [],
    // answer panel
    answerRun: 0, answerTimer: null, answerAbort: null, answerWaiting: false, answers: [],
    copyWhenShown: false,
    // client search and the caller's file
    clientRun: 0, clientTimer: null, clientAbort: null, fileRun: 0, refreshRun: 0, client: null,
    fileShown: null,
    // the caller chat
    busy: false, pending: null, retry: null,
    // unanswered questions
    questionsRun: 0
  };

  function byId(id) { return document.getElementById(id); }

  var log = byId("log");
  var messageBox = byId("message");
  var question = byId("question");
  var answersRegion = byId("answers");
  var clientSearch = byId("client-search");
  var clientList = byId("client-list");

  // --- small helpers --------------------------------------------------------------------------

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function button(className, text) {
    var node = element("button", className, text);
    node.type = "button";
    return node;
  }

  function empty(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function note(id, text) {
    var node = byId(id);
    node.textContent = text || "";
    if (node.getAttribute("role") !== "status") { node.hidden = !text; }
  }

  function announce(text) {
    var region = byId("announce");
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  var uniqueCount = 0;
  function uniqueId(prefix) { uniqueCount += 1; return prefix + "-" + uniqueCount; }

  // --- the API --------------------------------------------------------------------------------

  /* fetch with the JSON conventions of the contract; ``abort`` (an AbortController) cancels a
     stale request.  Resolves to {ok, status, data}; rejects on a network error or an abort. */
  function api(method, path, body, abort) {
    var headers = { "Accept": "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = state.csrf;
      init.body = JSON.stringify(body || {});
    }
    var controller = abort || (window.AbortController ? new AbortController() : null);
    var timer = null;
    if (controller) {
      init.signal = controller.signal;
      timer = window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    }
    return window.fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (timer) { window.clearTimeout(timer); }
        return { ok: response.ok, status: response.status, data: data || {} };
      });
    }, function (problem) {
      if (timer) { window.clearTimeout(timer); }
      throw problem;
    });
  }

  /* A POST; on 403 (session expired, CSRF token stale) the session is read again and the
     request sent once more with the same body (the same message id). */
  function post(path, body) {
    return api("POST", path, body).then(function (result) {
      if (result.status !== 403) { return result; }
      return readSession().then(function () { return api("POST", path, body); });
    });
  }

  /* A staff route answered 401: the staff session is over; back to the login form. */
  function loggedOut(result) {
    if (result.status !== 401) { return false; }
    setStaff(null, []);
    showLoginError(result.data.error || texts.loginAgain);
    return true;
  }

  function readSession() {
    return api("GET", "/api/session").then(function (result) {
      if (!result.ok) { throw new Error("session " + result.status); }
      state.csrf = result.data.csrf || "";
      return result.data;
    });
  }

  // --- login, logout --------------------------------------------------------------------------

  function sectorsText(sectors) {
    var list = (sectors || []).join(", ");
    return format((sectors || []).length > 1 ? texts.sectorMany : texts.sectorOne, { list: list });
  }

  function setStaff(staff, sectors) {
    var before = state.staff;
    state.staff = staff || null;
    state.sectors = sectors || [];
    var on = state.staff !== null;
    byId("login-panel").hidden = on;
    byId("desk").hidden = !on;
    byId("staff-bar").hidden = !on;
    if (!on) {
      byId("who").textContent = "";
      resetDesk();
      return;
    }
    byId("who").textContent = format(texts.who, { staff: state.staff, sectors: sectorsText(state.sectors) });
    if (before !== state.staff) {
      resetDesk();
      loadQuestions();
    }
  }

  function resetDesk() {
    // the answer panel
    window.clearTimeout(state.answerTimer);
    state.answerTimer = null;
    state.answerRun += 1;
    if (state.answerAbort) { state.answerAbort.abort(); }
    state.answers = [];
    state.answerWaiting = false;
    state.copyWhenShown = false;
    question.value = "";
    empty(answersRegion);
    // the client search and the file
    window.clearTimeout(state.clientTimer);
    state.clientRun += 1;
    state.fileRun += 1;
    state.refreshRun += 1;
    if (state.clientAbort) { state.clientAbort.abort(); }
    clientSearch.value = "";
    showClients(null);
    note("client-note", "");
    setClient(null);
    // the questions
    state.questionsRun += 1;
    empty(byId("questions-list"));
    note("questions-note", "");
  }

  function showLoginError(text) {
    var error = byId("login-error");
    error.textContent = text;
    error.hidden = !text;
  }

  /* A client account logged in on this screen: the staff routes answer it 403
     « Réservé aux conseillers. »; that sentence is shown and the client session closed. */
  function refuseClient() {
    return api("GET", "/api/conseiller/questions").then(function (result) {
      return result.status === 403 && result.data.error ? result.data.error : texts.staffOnly;
    }, function () { return texts.staffOnly; }).then(function (sentence) {
      return post("/api/logout", {}).then(function (result) {
        if (result.ok) { state.csrf = result.data.csrf || state.csrf; }
        return sentence;
      }, function () { return sentence; });
    });
  }

  function onLogin(event) {
    event.preventDefault();
    var submit = byId("login-submit");
    if (submit.getAttribute("aria-disabled") === "true") { return; }
    var password = byId("password");
    showLoginError("");
    submit.setAttribute("aria-disabled", "true");
    post("/api/login", { login: byId("login").value.trim(), password: password.value })
      .then(function (result) {
        password.value = "";
        if (!result.ok) {
          showLoginError(result.data.error || texts.loginFailed);
          return null;
        }
        state.csrf = result.data.csrf || state.csrf;
        if (!result.data.staff) {
          return refuseClient().then(showLoginError);
        }
        return readSession().then(function (session) {
          setStaff(session.staff, session.sectors);
          if (state.staff) {
            byId("who").focus();
            announce(texts.loggedIn);
          }
        });
      })
      .catch(function () { showLoginError(texts.loginFailed); })
      .then(function () { submit.removeAttribute("aria-disabled"); });
  }

  function onLogout() {
    post("/api/logout", {}).then(function (result) {
      if (!result.ok) { throw new Error("logout " + result.status); }
      state.csrf = result.data.csrf || state.csrf;
      setStaff(null, []);
      showLoginError("");
      byId("login-heading").focus();
      announce(texts.loggedOut);
    }).catch(function () { announce(texts.loginFailed); });
  }

  // --- the answer panel -----------------------------------------------------------------------

  function onQuestionInput() {
    window.clearTimeout(state.answerTimer);
    state.answerTimer = null;
    var query = question.value.trim();
    if (query.length < ANSWER_MIN_CHARS) {
      cancelAnswer();
      state.answers = [];
      empty(answersRegion);
      if (query) { answersRegion.appendChild(element("p", "note", texts.minChars)); }
      return;
    }
    state.answerTimer = window.setTimeout(function () { askAnswer(query); }, DEBOUNCE_MS);
  }

  function cancelAnswer() {
    state.answerRun += 1;  // an answer still on its way is for an older query
    state.answerWaiting = false;
    state.copyWhenShown = false;
    if (state.answerAbort) { state.answerAbort.abort(); state.answerAbort = null; }
    answersRegion.removeAttribute("aria-busy");
  }

  function askAnswer(query) {
    state.answerTimer = null;
    var copy = state.copyWhenShown;
    cancelAnswer();
    state.copyWhenShown = copy;
    var run = state.answerRun;
    state.answerAbort = window.AbortController ? new AbortController() : null;
    state.answerWaiting = true;
    answersRegion.setAttribute("aria-busy", "true");
    api("GET", "/api/conseiller/reponse?q=" + encodeURIComponent(query), null, state.answerAbort)
      .then(function (result) {
        if (run !== state.answerRun) { return; }
        state.answerWaiting = false;
        state.answerAbort = null;
        answersRegion.removeAttribute("aria-busy");
        if (loggedOut(result)) { return; }
        if (!result.ok) { showAnswerNote(result.data.error || texts.answersFailed); return; }
        showAnswers(result.data, query);
      }, function () {
        if (run !== state.answerRun) { return; }  // aborted: a newer query replaced it
        state.answerWaiting = false;
        state.answerAbort = null;
        answersRegion.removeAttribute("aria-busy");
        showAnswerNote(texts.answersFailed);
      });
  }

  function showAnswerNote(text) {
    state.answers = [];
    state.copyWhenShown = false;
    empty(answersRegion);
    answersRegion.appendChild(element("p", "note", text));
  }

  function showAnswers(data, query) {
    var answers = (data.answers || []).slice(0, data.close ? 2 : 1);
    state.answers = answers;
    empty(answersRegion);
    if (!answers.length) {
      showAnswerNote(data.message || texts.noAnswer);
      return;
    }
    answersRegion.appendChild(element("p", "answers-summary",
      format(answers.length > 1 ? texts.summaryTwo : texts.summaryOne, { query: data.query || query })));
    answers.forEach(function (answer, index) {
      answersRegion.appendChild(answerCard(answer, index));
    });
    if (state.copyWhenShown) {
      state.copyWhenShown = false;
      copyAnswer(0);
    }
  }

  function answerCard(answer, index) {
    var card = element("article", "answer" + (index ? " runner-up" : ""));
    var titleId = uniqueId("answer-title");
    card.setAttribute("aria-labelledby", titleId);
    card.appendChild(element("p", "answer-rank", index ? texts.runnerUp : texts.best));
    var title = element("h3", "answer-title", answer.title || answer.topic || "");
    title.id = titleId;
    card.appendChild(title);

    var percent = Math.round(Math.max(0, Math.min(1, Number(answer.confidence) || 0)) * 100);
    var words = answer.confidence_words || "";
    var level = { "sûr": "sure", "probable": "likely" }[words] || "unsure";
    var confidence = element("div", "confidence confidence-" + level);
    confidence.appendChild(element("p", "confidence-text",
      format(texts.confidence, { words: words, percent: percent })));
    var meter = element("div", "meter");
    meter.setAttribute("role", "meter");
    meter.setAttribute("aria-label", "Confiance");
    meter.setAttribute("aria-valuemin", "0");
    meter.setAttribute("aria-valuemax", "100");
    meter.setAttribute("aria-valuenow", String(percent));
    meter.setAttribute("aria-valuetext", format(texts.meterText, { words: words, percent: percent }));
    var fill = element("div", "meter-fill");
    fill.style.width = percent + "%";  // CSSOM, not a style attribute: allowed by the CSP
    meter.appendChild(fill);
    confidence.appendChild(meter);
    card.appendChild(confidence);

    card.appendChild(highlighted(answer.text || "", answer.rules || []));

    var row = element("div", "copy-row");
    var copy = button("copy primary", "Copier la réponse");
    copy.setAttribute("aria-describedby", titleId);
    var status = element("span", "copied");
    status.setAttribute("role", "status");
    copy.addEventListener("click", function () { copyAnswer(index); });
    row.appendChild(copy);
    row.appendChild(status);
    card.appendChild(row);
    return card;
  }

  /* The answer's text with every ``rules`` substring in a <mark> (text nodes only). */
  function highlighted(text, rules) {
    var paragraph = element("p", "answer-text");
    var wanted = rules.filter(function (r) { return typeof r === "string" && r.length; })
      .sort(function (a, b) { return b.length - a.length; });
    var at = 0;
    while (at < text.length) {
      var next = -1, found = "";
      wanted.forEach(function (rule) {
        var where = text.indexOf(rule, at);
        if (where !== -1 && (next === -1 || where < next)) { next = where; found = rule; }
      });
      if (next === -1) { break; }
      if (next > at) { paragraph.appendChild(document.createTextNode(text.slice(at, next))); }
      paragraph.appendChild(element("mark", "rule", found));
      at = next + found.length;
    }
    if (at < text.length) { paragraph.appendChild(document.createTextNode(text.slice(at))); }
    return paragraph;
  }

  function copyAnswer(index) {
    var answer = state.answers[index];
    if (!answer) { announce(texts.nothingToCopy); return; }
    var cards = answersRegion.querySelectorAll(".answer");
    var status = cards[index] ? cards[index].querySelector(".copied") : null;
    copyText(answer.text || "").then(function () {
      Array.prototype.forEach.call(answersRegion.querySelectorAll(".copied"), function (s) {
        s.textContent = "";
      });
      if (status) {
        status.textContent = texts.copied;
        window.setTimeout(function () {
          if (status.textContent === texts.copied) { status.textContent = ""; }
        }, COPIED_MS);
      } else {
        announce(texts.copied);
      }
    }, function () {
      if (status) { status.textContent = texts.copyFailed; } else { announce(texts.copyFailed); }
    });
  }

  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).catch(function () { return copyBySelection(text); });
    }
    return new Promise(function (resolve) { resolve(copyBySelection(text)); });
  }

  /* The old way, where the Clipboard API is refused: select a hidden text and « copy ». */
  function copyBySelection(text) {
    var focused = document.activeElement;
    var area = element("textarea", "offscreen");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.tabIndex = -1;
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (ignored) { done = false; }
    document.body.removeChild(area);
    if (focused && focused.focus) { focused.focus(); }
    if (!done) { throw new Error("copy refused"); }
  }

  function onQuestionKey(event) {
    if (event.key !== "Enter" || event.isComposing) { return; }
    event.preventDefault();
    var query = question.value.trim();
    if (state.answerTimer !== null || state.answerWaiting) {
      // typed faster than the answer: copy it when it arrives
      state.copyWhenShown = true;
      if (state.answerTimer !== null && query.length >= ANSWER_MIN_CHARS) {
        window.clearTimeout(state.answerTimer);
        askAnswer(query);
      }
      return;
    }
    copyAnswer(0);
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
      clearChat();
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
    showRequests(data.requests || []);
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
    markBusy(state.busy);
  }

  function showRequests(requests) {
    var list = byId("file-requests");
    empty(list);
    note("file-requests-note", requests.length ? "" : texts.noRequests);
    requests.forEach(function (request) {
      var item = element("li", "request");
      var title = element("p", "request-title");
      title.appendChild(element("strong", null, request.kind));
      if (request.intervention) { title.appendChild(document.createTextNode(" – " + request.intervention)); }
      item.appendChild(title);
      item.appendChild(element("p", null, format(texts.status, { status: request.status })));
      item.appendChild(element("p", "request-reference", format(texts.reference, { reference: request.reference })));
      list.appendChild(item);
    });
  }

  // --- the caller chat -----------------------------------------------------------------------

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  function clearChat() {
    empty(log);
    hideError();
    state.pending = null;
  }

  function showHistory(history) {
    clearChat();
    history.forEach(renderEntry);
  }

  function renderEntry(entry) {
    var fromBot = entry.from === "bot";
    var item = element("div", "message " + (fromBot ? "from-bot" : "from-user"));
    var text = element("p", "message-text");
    text.appendChild(element("span", "visually-hidden", (fromBot ? texts.assistant : texts.you) + " "));
    text.appendChild(document.createTextNode(entry.text || ""));
    item.appendChild(text);
    var choices = (entry.buttons || []).filter(function (b) { return b && b.payload; });
    if (fromBot && choices.length) {
      var row = element("div", "choices");
      choices.forEach(function (choice) {
        var node = button("choice sends", choice.title || choice.payload);
        node.addEventListener("click", function () { send(choice.payload, choice.title); });
        row.appendChild(node);
      });
      item.appendChild(row);
    }
    log.appendChild(item);
    markBusy(state.busy);
    scrollToEnd();
  }

  function markBusy(busy) {
    Array.prototype.forEach.call(document.querySelectorAll(".sends"), function (node) {
      if (busy) { node.setAttribute("aria-disabled", "true"); } else { node.removeAttribute("aria-disabled"); }
    });
  }

  function setBusy(busy) {
    state.busy = busy;
    markBusy(busy);
    byId("typing").textContent = busy ? texts.typing : "";
    log.setAttribute("aria-busy", String(busy));
  }

  function showError(text, retry) {
    state.retry = retry || null;
    byId("chat-error").hidden = false;
    byId("chat-error-text").textContent = text;
    byId("retry").hidden = !retry;
  }

  function hideError() {
    state.retry = null;
    byId("chat-error").hidden = true;
    byId("chat-error-text").textContent = "";
  }

  /* Shows the message at once, then sends it for the current caller; false (nothing done)
     while one is in flight or when no caller is chosen. */
  function send(message, label) {
    if (state.busy) { return false; }
    if (!state.client) { showError(texts.chooseClient, null); return false; }
    var pending = { client: state.client.number, message: message, id: newId(), label: label || null };
    renderEntry({ from: "user", text: label || message });
    deliver(pending);
    return true;
  }

  function deliver(pending) {
    if (state.busy) { return; }
    state.pending = pending;
    hideError();
    setBusy(true);
    var body = { client: pending.client, message: pending.message, id: pending.id };
    if (pending.label) { body.label = pending.label; }
    post("/api/conseiller/messages", body).then(function (result) {
      setBusy(false);
      var current = state.client && String(state.client.number) === String(pending.client);
      if (!current) { return; }  // another caller's file is open now
      if (result.ok) {
        state.pending = null;
        (result.data.messages || []).forEach(function (reply) {
          renderEntry({ from: "bot", id: reply.id, text: reply.text, buttons: reply.buttons });
        });
        refreshFile();
        return;
      }
      if (loggedOut(result)) { return; }
      var again = result.status >= 500 || result.status === 429;
      if (!again) { state.pending = null; }
      showError(result.data.error || texts.unavailable, again ? function () { deliver(pending); } : null);
    }, function () {
      setBusy(false);
      if (!state.client || String(state.client.number) !== String(pending.client)) { return; }
      showError(texts.network, function () { deliver(pending); });
    });
  }

  function setupComposer() {
    byId("composer").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = messageBox.value.trim();
      if (!text) { messageBox.focus(); return; }
      if (send(text)) { messageBox.value = ""; }
    });
    messageBox.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (byId("composer").requestSubmit) { byId("composer").requestSubmit(); } else { byId("send").click(); }
      }
    });
    byId("retry").addEventListener("click", function () {
      if (state.retry && !state.busy) { state.retry(); }
    });
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

  // --- the unanswered questions --------------------------------------------------------------

  function frenchDate(iso) {
    if (!iso) { return ""; }
    var moment = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso + "T12:00:00Z" : iso);
    if (isNaN(moment.getTime())) { return String(iso); }
    try {
      return moment.toLocaleDateString("fr-FR", { day: "numeric", month: "long", year: "numeric",
                                                 timeZone: "Europe/Paris" });
    } catch (ignored) {
      return moment.toLocaleDateString("fr-FR");
    }
  }

  function topicTitle(topic) {
    var options = byId("topic-options").content.querySelectorAll("option");
    for (var i = 0; i < options.length; i += 1) {
      if (options[i].value === topic) { return options[i].textContent; }
    }
    return topic;
  }

  function loadQuestions() {
    var run = ++state.questionsRun;
    api("GET", "/api/conseiller/questions").then(function (result) {
      if (run !== state.questionsRun) { return; }
      if (loggedOut(result)) { return; }
      if (!result.ok) { note("questions-note", result.data.error || texts.questionsFailed); return; }
      showQuestions(result.data.groups || []);
    }, function () {
      if (run !== state.questionsRun) { return; }
      note("questions-note", texts.questionsFailed);
    });
  }

  function showQuestions(groups) {
    var list = byId("questions-list");
    empty(list);
    note("questions-note", groups.length ? format(texts.questionsCount, { count: groups.length })
                                         : texts.questionsNone);
    groups.forEach(function (group) { list.appendChild(groupItem(group)); });
  }

  function groupItem(group) {
    var item = element("li", "group");
    var exampleId = uniqueId("group-example");
    var example = element("p", "group-example", "« " + (group.example || "") + " »");
    example.id = exampleId;
    item.appendChild(example);

    var first = frenchDate(group.first), last = frenchDate(group.last);
    var meta = [format(texts.groupCount, { count: group.count || 0 }),
                first && last && first !== last ? format(texts.groupDates, { first: first, last: last })
                                                : format(texts.groupDate, { first: first || last })];
    var kinds = group.kinds || {};
    [["fallback", texts.kindsFallback], ["out_of_scope", texts.kindsOutOfScope],
     ["thumbs_down", texts.kindsThumbsDown]].forEach(function (spec) {
      if (kinds[spec[0]]) { meta.push(format(spec[1], { count: kinds[spec[0]] })); }
    });
    item.appendChild(element("p", "group-meta", meta.join(" – ")));

    var questions = group.questions || [];
    if (questions.length) {
      var details = element("details", "group-questions");
      details.appendChild(element("summary", null, format(texts.groupQuestions, { count: questions.length })));
      var inner = element("ul");
      questions.forEach(function (q) {
        var line = element("li", null, q.text || "");
        if (q.topic) {
          line.appendChild(element("span", "question-topic",
            " (" + format(texts.questionTopic, { topic: topicTitle(q.topic) }) + ")"));
        }
        inner.appendChild(line);
      });
      details.appendChild(inner);
      item.appendChild(details);
    }

    var row = element("div", "group-label");
    var selectId = uniqueId("group-topic");
    var label = element("label", null, "Sujet");
    label.htmlFor = selectId;
    var select = document.createElement("select");
    select.id = selectId;
    select.setAttribute("aria-describedby", exampleId);
    select.appendChild(document.importNode(byId("topic-options").content, true));
    var topics = questions.map(function (q) { return q.topic; });
    if (topics.length && topics[0] && topics.every(function (t) { return t === topics[0]; })) {
      select.value = topics[0];
    }
    var field = element("div", "field");
    field.appendChild(label);
    field.appendChild(select);
    row.appendChild(field);
    var go = button(null, "Étiqueter");
    go.setAttribute("aria-describedby", exampleId);
    var status = element("span", "label-status");
    status.setAttribute("role", "status");
    go.addEventListener("click", function () {
      if (go.getAttribute("aria-disabled") === "true") { return; }
      if (!select.value) { status.textContent = texts.chooseTopic; select.focus(); return; }
      var ids = questions.map(function (q) { return q.id; });
      if (!ids.length && group.id !== undefined) { ids = [group.id]; }
      go.setAttribute("aria-disabled", "true");
      status.textContent = "";
      post("/api/conseiller/questions/label", { ids: ids, topic: select.value }).then(function (result) {
        if (loggedOut(result)) { return; }
        if (!result.ok) { status.textContent = result.data.error || texts.labelFailed; return; }
        status.textContent = format(texts.labelled, { count: result.data.labelled || 0 });
      }).catch(function () {
        status.textContent = texts.labelFailed;
      }).then(function () { go.removeAttribute("aria-disabled"); });
    });
    row.appendChild(go);
    row.appendChild(status);
    item.appendChild(row);
    return item;
  }

  // --- start -----------------------------------------------------------------------------------

  function start() {
    byId("start-error").hidden = true;
    readSession().then(function (session) {
      setStaff(session.staff || null, session.sectors || []);
      if (!state.staff && session.client !== null && session.client !== undefined) {
        showLoginError(texts.staffOnly);  // a client's session: this screen is not for them
      }
    }, function () {
      byId("start-error-text").textContent = texts.startFailed;
      byId("start-error").hidden = false;
    });
  }

  byId("login-form").addEventListener("submit", onLogin);
  byId("logout").addEventListener("click", onLogout);
  byId("start-retry").addEventListener("click", start);
  question.addEventListener("input", onQuestionInput);
  question.addEventListener("keydown", onQuestionKey);
  clientSearch.addEventListener("input", onClientInput);
  clientSearch.addEventListener("keydown", onClientKey);
  clientList.addEventListener("keydown", onClientListKey);
  byId("callback-form").addEventListener("submit", onCallback);
  byId("questions-refresh").addEventListener("click", loadQuestions);
  setupComposer();
  start();
})();
