/* The AMPER chat page (/ and /widget), against the JSON API of docs/web-contract.md.
 *
 * Everything the API returns is inserted as text (textContent, createElement), never as HTML.
 * The French sentences come from the page (<script type="application/json" id="amper-texts">).
 */
(function () {
  "use strict";

  var STORAGE_KEY = "amper-large-text";
  var REQUEST_TIMEOUT_MS = 60000;

  var texts = JSON.parse(document.getElementById("amper-texts").textContent);
  var state = { csrf: "", client: null, busy: false, pending: null, retry: null, planningRun: 0,
                planningShown: null };

  function byId(id) { return document.getElementById(id); }

  var log = byId("log");
  var messageBox = byId("message");

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

  // --- the API --------------------------------------------------------------------------------

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = state.csrf;
      init.body = JSON.stringify(body || {});
    }
    var controller = window.AbortController ? new AbortController() : null;
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
     request sent once more, with the same body (the same message id). */
  function post(path, body) {
    return api("POST", path, body).then(function (result) {
      if (result.status !== 403) { return result; }
      return loadSession(false).then(function () { return api("POST", path, body); });
    });
  }

  function loadSession(render) {
    return api("GET", "/api/session").then(function (result) {
      if (!result.ok) { throw new Error("session " + result.status); }
      state.csrf = result.data.csrf || "";
      if (render) {
        while (log.firstChild) { log.removeChild(log.firstChild); }
        (result.data.history || []).forEach(renderEntry);
      }
      setClient(result.data.client === undefined ? null : result.data.client);
    });
  }

  // --- the conversation -----------------------------------------------------------------------

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

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
    if (fromBot && entry.id) { item.appendChild(feedback(entry.id, entry.feedback || null)); }
    log.appendChild(item);
    markBusy(state.busy);
    scrollToEnd();
  }

  function feedback(answerId, current) {
    var group = element("div", "feedback");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", texts.feedbackGroup);
    var buttons = {};
    function mark(value) {
      Object.keys(buttons).forEach(function (key) {
        buttons[key].setAttribute("aria-pressed", String(key === value));
      });
    }
    function choose(value) {
      if (value === current) { return; }
      var before = current;
      current = value;
      mark(value);
      post("/api/feedback", { answer: answerId, value: value }).then(function (result) {
        if (!result.ok) { throw new Error("feedback " + result.status); }
        if (result.data.feedback === "up" || result.data.feedback === "down") {
          current = result.data.feedback;  // the first vote on an answer is the one kept
          mark(current);
        }
        announce(texts.feedbackThanks);
      }).catch(function () {
        current = before;
        mark(before);
        announce(texts.feedbackFailed);
      });
    }
    [["up", texts.useful, texts.usefulShort], ["down", texts.notUseful, texts.notUsefulShort]]
      .forEach(function (spec) {
        var node = button("feedback-button feedback-" + spec[0], spec[2]);
        node.setAttribute("aria-label", spec[1]);
        node.addEventListener("click", function () { choose(spec[0]); });
        buttons[spec[0]] = node;
        group.appendChild(node);
      });
    mark(current);
    return group;
  }

  function markBusy(busy) {
    var nodes = document.querySelectorAll(".sends");
    Array.prototype.forEach.call(nodes, function (node) {
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

  /* Shows the message at once, then sends it; false (nothing done) while one is in flight. */
  function send(message, label) {
    if (state.busy) { return false; }
    var pending = { message: message, id: newId(), label: label || null };
    renderEntry({ from: "user", text: label || message });
    deliver(pending);
    return true;
  }

  function deliver(pending) {
    if (state.busy) { return; }
    state.pending = pending;
    hideError();
    setBusy(true);
    var body = { message: pending.message, id: pending.id };
    if (pending.label) { body.label = pending.label; }
    post("/api/messages", body).then(function (result) {
      setBusy(false);
      if (result.ok) {
        state.pending = null;
        (result.data.messages || []).forEach(function (reply) {
          renderEntry({ from: "bot", id: reply.id, text: reply.text, buttons: reply.buttons });
        });
        if (state.client !== null) { refreshPlanning(); }
        return;
      }
      var again = result.status >= 500 || result.status === 429;
      if (!again) { state.pending = null; }
      showError(result.data.error || texts.unavailable,
                again ? function () { deliver(pending); } : null);
    }, function () {
      setBusy(false);
      showError(texts.network, function () { deliver(pending); });
    });
  }

  // --- the account: login, planning, requests -------------------------------------------------

  function setClient(client) {
    var before = state.client;
    state.client = client;
    byId("logged-out").hidden = client !== null;
    byId("logged-in").hidden = client === null;
    if (client === null) {
      state.planningRun += 1;  // an answer still on its way is for the previous client
      state.planningShown = null;
      emptyList("planning-list");
      emptyList("requests-list");
      return;
    }
    byId("who").textContent = format(texts.account, { client: client });
    if (before !== client) { refreshPlanning(); }
  }

  function emptyList(id) {
    var list = byId(id);
    while (list.firstChild) { list.removeChild(list.firstChild); }
  }

  function note(id, text) {
    byId(id).hidden = !text;
    byId(id).textContent = text || "";
  }

  function refreshPlanning() {
    var run = ++state.planningRun;
    api("GET", "/api/planning").then(function (result) {
      if (run !== state.planningRun) { return; }
      if (result.status === 401) { setClient(null); return; }
      if (!result.ok) { throw new Error("planning " + result.status); }
      var seen = JSON.stringify(result.data);
      if (seen === state.planningShown) { return; }  // unchanged: the focus stays where it is
      state.planningShown = seen;
      showPlanning(result.data.interventions || []);
      showRequests(result.data.requests || []);
    }).catch(function () {
      if (run !== state.planningRun) { return; }
      state.planningShown = null;
      note("planning-note", texts.planningFailed);
    });
  }

  function showPlanning(lines) {
    emptyList("planning-list");
    note("planning-note", lines.length ? "" : texts.noInterventions);
    var list = byId("planning-list");
    lines.forEach(function (line) {
      var item = element("li", "visit");
      var when = element("p", "visit-when");
      when.appendChild(element("strong", null, line.when));
      if (line.hours) { when.appendChild(document.createTextNode(", " + line.hours)); }
      item.appendChild(when);
      if (line.service) { item.appendChild(element("p", "visit-service", line.service)); }
      if (line.caregiver) {
        item.appendChild(element("p", "visit-caregiver", format(texts.caregiver, { name: line.caregiver })));
      }
      var actions = element("div", "visit-actions");
      [[line.cancel, texts.cancelLine], [line.change, texts.changeLine]].forEach(function (spec) {
        if (!spec[0]) { return; }
        var label = format(spec[1], { when: line.when, hours: line.hours || "" }).trim();
        var node = button("sends", label);
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
    emptyList("requests-list");
    note("requests-note", requests.length ? "" : texts.noRequests);
    var list = byId("requests-list");
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

  function onLogin(event) {
    event.preventDefault();
    var submit = byId("login-submit");
    if (submit.getAttribute("aria-disabled") === "true") { return; }
    var error = byId("login-error");
    var password = byId("password");
    error.hidden = true;
    submit.setAttribute("aria-disabled", "true");
    post("/api/login", { login: byId("login").value.trim(), password: password.value })
      .then(function (result) {
        if (!result.ok) {
          password.value = "";
          error.textContent = result.data.error || texts.loginFailed;
          error.hidden = false;
          return null;
        }
        password.value = "";
        state.csrf = result.data.csrf || state.csrf;
        if (result.data.staff && window.top === window.self) {
          window.location.assign("/conseiller");  // a staff account: the staff's screen
          return null;
        }
        return loadSession(true).then(function () {
          byId("who").focus();
          announce(texts.loggedIn);
        });
      })
      .catch(function () {
        error.textContent = texts.loginFailed;
        error.hidden = false;
      })
      .then(function () { submit.removeAttribute("aria-disabled"); });
  }

  function onLogout() {
    post("/api/logout", {}).then(function (result) {
      if (!result.ok) { throw new Error("logout " + result.status); }
      state.csrf = result.data.csrf || state.csrf;
      return loadSession(true);
    }).then(function () {
      byId("account-heading").focus();
      announce(texts.loggedOut);
    }).catch(function () { announce(texts.loginFailed); });
  }

  // --- text size, keys, start -----------------------------------------------------------------

  function setupTextSize() {
    var toggle = byId("text-size");
    var root = document.documentElement;
    function show() { toggle.setAttribute("aria-pressed", String(root.classList.contains("large-text"))); }
    toggle.addEventListener("click", function () {
      var large = !root.classList.contains("large-text");
      root.classList.toggle("large-text", large);
      try { window.localStorage.setItem(STORAGE_KEY, large ? "1" : "0"); } catch (ignored) { /* not kept */ }
      show();
    });
    show();
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
        byId("composer").requestSubmit ? byId("composer").requestSubmit() : byId("send").click();
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".quick-action"), function (node) {
      node.addEventListener("click", function () {
        if (send(node.getAttribute("data-message"))) { messageBox.focus(); }
      });
    });
    byId("retry").addEventListener("click", function () {
      if (state.retry && !state.busy) { state.retry(); }
    });
  }

  /* In the iframe of widget.js: Escape asks the host page to close the chat; the host asks
     for the focus on the message box when it opens. */
  function setupFrame() {
    if (!document.body.classList.contains("compact") || window.parent === window) { return; }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage("amper:close", "*"); }
    });
    window.addEventListener("message", function (event) {
      if (event.source === window.parent && event.data === "amper:focus") { messageBox.focus(); }
    });
  }

  function start() {
    loadSession(true).then(hideError, function () {
      showError(texts.startFailed, start);
    });
  }

  setupTextSize();
  setupComposer();
  setupFrame();
  byId("login-form").addEventListener("submit", onLogin);
  byId("logout").addEventListener("click", onLogout);
  start();
})();
