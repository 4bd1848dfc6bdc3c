/* The AMPER chat page (/ and /widget), against the JSON API of docs/web-contract.md: the
 * conversation with the answers' feedback, the client's login, planning and requests, the text
 * size, the widget's iframe.  The helpers and the conversation log are in common.js (loaded
 * first, window.Amper).
 *
 * Everything the API returns is inserted as text (textContent, createElement), never as HTML.
 * The French sentences come from the page (<script type="application/json" id="amper-texts">).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var STORAGE_KEY = "amper-large-text";

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element, button = Amper.button;
  var api = Amper.api, post = Amper.post, announce = Amper.announce;
  var state = { client: null, planningRun: 0, planningShown: null };

  var conversation = Amper.conversation({
    path: "/api/messages",
    body: function (pending) { return { message: pending.message, id: pending.id }; },
    decorate: function (item, entry) {
      if (entry.from === "bot" && entry.id) { item.appendChild(feedback(entry.id, entry.feedback || null)); }
    },
    answered: function () { if (state.client !== null) { refreshPlanning(); } }
  });
  var log = conversation.log;
  var messageBox = conversation.messageBox;
  var send = conversation.send;

  // --- the session ----------------------------------------------------------------------------

  /* The session read again (``render``: the conversation shown again from its history). */
  function loadSession(render) {
    return Amper.readSession().then(function (session) {
      if (render) {
        Amper.empty(log);
        (session.history || []).forEach(conversation.render);
      }
      setClient(session.client === undefined ? null : session.client);
    });
  }

  // a POST answered 403 reads the session again, and with it who is logged in
  Amper.rereadSession = function () { return loadSession(false); };

  // --- the answers' feedback ------------------------------------------------------------------

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

  // --- the account: login, planning, requests -------------------------------------------------

  function setClient(client) {
    var before = state.client;
    state.client = client;
    byId("logged-out").hidden = client !== null;
    byId("logged-in").hidden = client === null;
    if (client === null) {
      state.planningRun += 1;  // an answer still on its way is for the previous client
      state.planningShown = null;
      Amper.empty(byId("planning-list"));
      Amper.empty(byId("requests-list"));
      return;
    }
    byId("who").textContent = format(texts.account, { client: client });
    if (before !== client) { refreshPlanning(); }
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
      Amper.showRequests("requests-list", "requests-note", result.data.requests || []);
    }).catch(function () {
      if (run !== state.planningRun) { return; }
      state.planningShown = null;
      Amper.note("planning-note", texts.planningFailed);
    });
  }

  function showPlanning(lines) {
    var list = byId("planning-list");
    Amper.empty(list);
    Amper.note("planning-note", lines.length ? "" : texts.noInterventions);
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
    conversation.markBusy();
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
        Amper.session.csrf = result.data.csrf || Amper.session.csrf;
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
      Amper.session.csrf = result.data.csrf || Amper.session.csrf;
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

  function setupQuickActions() {
    Array.prototype.forEach.call(document.querySelectorAll(".quick-action"), function (node) {
      node.addEventListener("click", function () {
        if (send(node.getAttribute("data-message"))) { messageBox.focus(); }
      });
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
    loadSession(true).then(conversation.hideError, function () {
      conversation.showError(texts.startFailed, start);
    });
  }

  setupTextSize();
  conversation.setupComposer();
  setupQuickActions();
  setupFrame();
  byId("login-form").addEventListener("submit", onLogin);
  byId("logout").addEventListener("click", onLogout);
  start();
})();
