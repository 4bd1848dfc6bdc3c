/* What the chat page (chat.js) and the staff's screen (conseiller.js, staff-*.js) share, under
 * the one global window.Amper: DOM builders, format, ids, the JSON API (CSRF header, timeout,
 * a POST sent again after a 403), the spoken announcements, and the conversation log (messages
 * with their ids, busy state, error with « Réessayer », the composer).
 *
 * Everything is inserted as text (textContent, createElement, text nodes), never as markup.
 * The French sentences come from the page (<script type="application/json" id="amper-texts">).
 * Loaded with `defer` before the page's own scripts.
 */
(function () {
  "use strict";

  var REQUEST_TIMEOUT_MS = 60000;

  function byId(id) { return document.getElementById(id); }

  var texts = JSON.parse(byId("amper-texts").textContent);

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

  /* A note under a list: its text; hidden when empty, unless it is a live status region. */
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

  var session = { csrf: "" };

  /* fetch with the JSON conventions of the contract; ``abort`` (an AbortController) cancels a
     stale request.  Resolves to {ok, status, data}; rejects on a network error or an abort. */
  function api(method, path, body, abort) {
    var headers = { "Accept": "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = session.csrf;
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

  /* GET /api/session: keeps its CSRF token; resolves to the session's data. */
  function readSession() {
    return api("GET", "/api/session").then(function (result) {
      if (!result.ok) { throw new Error("session " + result.status); }
      session.csrf = result.data.csrf || "";
      return result.data;
    });
  }

  /* A POST; on 403 (session expired, CSRF token stale) the session is read again
     (Amper.rereadSession, which a page may replace) and the request sent once more with the
     same body (the same message id). */
  function post(path, body) {
    return api("POST", path, body).then(function (result) {
      if (result.status !== 403) { return result; }
      return Amper.rereadSession().then(function () { return api("POST", path, body); });
    });
  }

  // --- the client's requests (the chat page's « Mes demandes », the caller's file) ------------

  function showRequests(listId, noteId, requests) {
    var list = byId(listId);
    empty(list);
    note(noteId, requests.length ? "" : texts.noRequests);
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

  // --- the conversation -----------------------------------------------------------------------

  /* The page's conversation (#log, #message, #composer, #typing, #chat-error, #retry).
     options.send(message, label): what a choice button and the composer call (default: the
     conversation's own send); options.decorate(item, entry): adds to a message before it is
     shown; options.path: where messages are posted; options.body(pending): the POST's body
     (the label is added); options.current(pending): false when the answer is no longer
     wanted (default: always wanted); options.answered(): after the replies are shown;
     options.refused(result): true when the page handled a refusal itself. */
  function conversation(options) {
    var log = byId("log");
    var messageBox = byId("message");
    var chat = { busy: false, pending: null, retry: null, log: log, messageBox: messageBox };
    function send(message, label) { return (options.send || chat.send)(message, label); }
    function current(pending) { return options.current ? options.current(pending) : true; }

    chat.scrollToEnd = function () { log.scrollTop = log.scrollHeight; };

    chat.render = function (entry) {
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
      if (options.decorate) { options.decorate(item, entry); }
      log.appendChild(item);
      chat.markBusy();
      chat.scrollToEnd();
    };

    /* Every .sends button of the page disabled (aria-disabled) while a message is in flight. */
    chat.markBusy = function () {
      var busy = chat.busy;
      Array.prototype.forEach.call(document.querySelectorAll(".sends"), function (node) {
        if (busy) { node.setAttribute("aria-disabled", "true"); } else { node.removeAttribute("aria-disabled"); }
      });
    };

    chat.setBusy = function (busy) {
      chat.busy = busy;
      chat.markBusy();
      byId("typing").textContent = busy ? texts.typing : "";
      log.setAttribute("aria-busy", String(busy));
    };

    chat.showError = function (text, retry) {
      chat.retry = retry || null;
      byId("chat-error").hidden = false;
      byId("chat-error-text").textContent = text;
      byId("retry").hidden = !retry;
    };

    chat.hideError = function () {
      chat.retry = null;
      byId("chat-error").hidden = true;
      byId("chat-error-text").textContent = "";
    };

    chat.clear = function () {
      empty(log);
      chat.hideError();
      chat.pending = null;
    };

    /* Shows the message at once, then sends it (with ``fields``, e.g. the caller's number);
       false (nothing done) while one is in flight. */
    chat.send = function (message, label, fields) {
      if (chat.busy) { return false; }
      var pending = {};
      Object.keys(fields || {}).forEach(function (key) { pending[key] = fields[key]; });
      pending.message = message;
      pending.id = newId();
      pending.label = label || null;
      chat.render({ from: "user", text: label || message });
      chat.deliver(pending);
      return true;
    };

    chat.deliver = function (pending) {
      if (chat.busy) { return; }
      chat.pending = pending;
      chat.hideError();
      chat.setBusy(true);
      var body = options.body(pending);
      if (pending.label) { body.label = pending.label; }
      post(options.path, body).then(function (result) {
        chat.setBusy(false);
        if (!current(pending)) { return; }
        if (result.ok) {
          chat.pending = null;
          (result.data.messages || []).forEach(function (reply) {
            chat.render({ from: "bot", id: reply.id, text: reply.text, buttons: reply.buttons });
          });
          if (options.answered) { options.answered(); }
          return;
        }
        if (options.refused && options.refused(result)) { return; }
        var again = result.status >= 500 || result.status === 429;
        if (!again) { chat.pending = null; }
        showError(result.data.error || texts.unavailable, again ? pending : null);
      }, function () {
        chat.setBusy(false);
        if (!current(pending)) { return; }
        showError(texts.network, pending);
      });
    };

    function showError(text, pending) {
      chat.showError(text, pending ? function () { chat.deliver(pending); } : null);
    }

    /* The composer: Enter sends, Shift + Enter goes to the line; « Réessayer » sends again. */
    chat.setupComposer = function () {
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
        if (chat.retry && !chat.busy) { chat.retry(); }
      });
    };

    return chat;
  }

  var Amper = window.Amper = {
    texts: texts,
    byId: byId,
    format: format,
    element: element,
    button: button,
    empty: empty,
    note: note,
    announce: announce,
    newId: newId,
    uniqueId: uniqueId,
    session: session,
    api: api,
    readSession: readSession,
    rereadSession: readSession,
    post: post,
    showRequests: showRequests,
    conversation: conversation
  };
})();
