/* The phone-line staff's screen (/conseiller), against docs/staff-contract.md: start-up,
 * the staff's login and logout, and the wiring of the panels, each in its own script loaded
 * before this one (after common.js, window.Amper): staff-answers.js (the answer panel),
 * staff-caller.js (client search, caller's file, caller chat, callback), staff-questions.js
 * (the unanswered questions).
 *
 * Everything the API returns is inserted as text (textContent, createElement, text nodes),
 * never as markup.  The French sentences come from the page
 * (<script type="application/json" id="amper-texts">), the FAQ topics from its
 * <template id="topic-options">.
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, announce = Amper.announce;
  var api = Amper.api;
  var panels = Amper.staff;
  var state = { staff: null, sectors: [] };

  /* A staff route answered 401: the staff session is over; back to the login form. */
  function loggedOut(result) {
    if (result.status !== 401) { return false; }
    setStaff(null, []);
    showLoginError(result.data.error || texts.loginAgain);
    return true;
  }

  panels.loggedOut = loggedOut;

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
      panels.questions.load();
    }
  }

  /* Every panel back to empty: the answer panel, the client search and the file, the questions. */
  function resetDesk() {
    panels.answers.reset();
    panels.caller.reset();
    panels.questions.reset();
  }

  /* A client account logged in on this screen: the staff routes answer it 403
     « Réservé aux conseillers. »; that sentence is shown and the client session closed. */
  function refusal() {
    return api("GET", "/api/conseiller/questions").then(function (result) {
      return result.status === 403 && result.data.error ? result.data.error : texts.staffOnly;
    }, function () { return texts.staffOnly; });
  }

  var login = Amper.staffLogin({
    accepted: function (data) { return Boolean(data.staff); },
    refusal: refusal,
    enter: function (session) {
      setStaff(session.staff, session.sectors);
      if (state.staff) {
        byId("who").focus();
        announce(texts.loggedIn);
      }
    },
    opened: function (session) {
      setStaff(session.staff || null, session.sectors || []);
      if (!state.staff && session.client !== null && session.client !== undefined) {
        login.showError(texts.staffOnly);  // a client's session: this screen is not for them
      }
    },
    left: function () { setStaff(null, []); }
  });
  var showLoginError = login.showError;

  panels.answers.setup();
  panels.caller.setup();
  panels.questions.setup();
  login.start();
})();
