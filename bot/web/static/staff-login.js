/* The staff pages' login form, logout and start (/conseiller, /bureau), after common.js
 * (window.Amper): Amper.staffLogin(options), Amper.closeSession().  The client's chat page
 * does not load it. */
(function () {
  "use strict";

  var Amper = window.Amper;
  var texts = Amper.texts, byId = Amper.byId, announce = Amper.announce;
  var post = Amper.post, readSession = Amper.readSession, session = Amper.session;

  /* Closes the session (POST /api/logout); resolves once the new CSRF token is kept. */
  function closeSession() {
    return post("/api/logout", {}).then(function (result) {
      if (!result.ok) { throw new Error("logout " + result.status); }
      session.csrf = result.data.csrf || session.csrf;
    });
  }

  /* The login form (#login-form, #login, #password, #login-submit, #login-error), the
     logout button (#logout) and the start (#start-error, #start-retry) of a staff page.
     options.accepted(data): whether the account may use this page; options.refusal(data):
     the sentence (or a promise of it) shown when not, its session closed first;
     options.enter(session): shows the page once logged in; options.opened(session): the
     page as the session read at start finds it; options.left(): the page emptied after the
     logout.  Returns {showError, start}. */
  function staffLogin(options) {
    function showError(text) {
      var error = byId("login-error");
      error.textContent = text || "";
      error.hidden = !text;
    }
    function refuse(data) {
      return Promise.resolve(options.refusal(data)).then(function (sentence) {
        return closeSession().then(function () { return sentence; },
                                   function () { return sentence; });
      });
    }
    byId("login-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = byId("login-submit");
      if (submit.getAttribute("aria-disabled") === "true") { return; }
      var password = byId("password");
      showError("");
      submit.setAttribute("aria-disabled", "true");
      post("/api/login", { login: byId("login").value.trim(), password: password.value })
        .then(function (result) {
          password.value = "";
          if (!result.ok) {
            showError(result.data.error || texts.loginFailed);
            return null;
          }
          session.csrf = result.data.csrf || session.csrf;
          if (!options.accepted(result.data)) { return refuse(result.data).then(showError); }
          return readSession().then(options.enter);
        })
        .catch(function () { showError(texts.loginFailed); })
        .then(function () { submit.removeAttribute("aria-disabled"); });
    });
    function logout() {
      closeSession().then(function () {
        options.left();
        showError("");
        byId("login-heading").focus();
        announce(texts.loggedOut);
      }).catch(function () { announce(texts.loginFailed); });
    }
    function start() {
      byId("start-error").hidden = true;
      readSession().then(options.opened, function () {
        byId("start-error-text").textContent = texts.startFailed;
        byId("start-error").hidden = false;
      });
    }
    byId("logout").addEventListener("click", logout);
    byId("start-retry").addEventListener("click", start);
    return { showError: showError, start: start };
  }

  Amper.closeSession = closeSession;
  Amper.staffLogin = staffLogin;
})();
