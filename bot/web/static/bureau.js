/* The sector office's inbox (/bureau), against docs/office-contract.md: start-up, the
 * office's login and logout, and the wiring of the parts, each in its own script loaded
 * before this one (after common.js, window.Amper): bureau-list.js (filters, table, title),
 * bureau-detail.js (one request, its decisions), bureau-live.js (the server's events),
 * bureau-summary.js (the month's summary).
 *
 * Only office accounts (`"office": true` in the session) get the inbox; a phone-line staff
 * or a client login is told, in French, that this page is for the sector offices.  A request
 * given by the address (/bureau/demande/AMP-…, the page's JSON `amper-data`) is opened once
 * logged in.  Everything the API returns is inserted as text, never as markup.
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, announce = Amper.announce;
  var office = Amper.office;  // bureau-list.js
  var state = office.state;
  var page = { login: null, wanted: null };

  try {
    page.wanted = (JSON.parse(byId("amper-data").textContent) || {}).reference || null;
  } catch (ignored) {
    page.wanted = null;
  }

  /* An office route answered 401: the office session is over; back to the login form. */
  office.loggedOut = function (result) {
    if (result.status !== 401) { return false; }
    setOffice(null, []);
    showLoginError(result.data.error || texts.loginAgain);
    return true;
  };

  // --- login, logout --------------------------------------------------------------------------

  function sectorsList(sectors) {
    if (sectors.length < 2) { return sectors.join(""); }
    return sectors.slice(0, -1).join(", ") + texts.and + sectors[sectors.length - 1];
  }

  function setOffice(login, sectors) {
    var before = page.login;
    page.login = login || null;
    state.sectors = sectors || [];
    var on = page.login !== null;
    byId("login-panel").hidden = on;
    byId("inbox").hidden = !on;
    byId("staff-bar").hidden = !on;
    if (!on) {
      byId("who").textContent = "";
      byId("page-heading").textContent = texts.headingOut;
      resetInbox();
      return;
    }
    byId("page-heading").textContent = format(texts.heading, { sectors: sectorsList(state.sectors) });
    byId("who").textContent = format(texts.who, {
      login: page.login,
      sectors: format(state.sectors.length > 1 ? texts.sectorMany : texts.sectorOne,
                      { list: state.sectors.join(", ") }) });
    if (before !== page.login) {
      resetInbox();
      office.list.load().then(openWanted);
      office.live.start();
    }
  }

  /* The request of the address, once (a later login does not open it again). */
  function openWanted() {
    var reference = page.wanted;
    page.wanted = null;
    if (reference) { office.detail.open(reference, { focus: true }); }
  }

  function resetInbox() {
    office.live.stop();
    office.list.reset();
    office.detail.reset();
    office.summary.reset();
  }

  /* Why this account may not use the page (a phone-line staff member, a client…). */
  function refusal(data) {
    if (data.staff) { return texts.staffHere; }
    if (data.client !== null && data.client !== undefined) { return texts.clientHere; }
    return texts.officeOnly;
  }

  /* A login that is not an office's is refused (its session closed, the reason shown). */
  var login = Amper.staffLogin({
    accepted: function (data) { return Boolean(data.office); },
    refusal: refusal,
    enter: function (session) {
      if (!session.office) { login.showError(refusal(session)); return; }
      setOffice(session.staff, session.sectors);
      byId("who").focus();
      announce(texts.loggedIn);
    },
    opened: function (session) {
      if (session.office && session.staff) {
        setOffice(session.staff, session.sectors || []);
        return;
      }
      setOffice(null, []);
      if (session.staff || (session.client !== null && session.client !== undefined)) {
        login.showError(refusal(session));  // logged in elsewhere: told, not logged out
      }
    },
    left: function () {
      setOffice(null, []);
      if (window.history && window.history.replaceState) { window.history.replaceState(null, "", "/bureau"); }
    }
  });
  var showLoginError = login.showError;

  office.list.setup();
  office.detail.setup();
  office.summary.setup();
  login.start();
})();
