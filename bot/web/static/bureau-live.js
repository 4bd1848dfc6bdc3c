/* The sector office's inbox (/bureau), live updates: the server's events
 * (GET /api/bureau/evenements, `event: demandes` with {"open": n, "changed": [...]}) make the
 * page fetch its list again with the current filters, put the open count in the title,
 * announce the new requests (« Nouvelle demande : AMP-… », role=status) and refresh the open
 * request when it changed.  The browser reconnects by itself; while it is cut off, a discreet
 * line says so.  A stream the server closed for good (a 401 after the session ended) is tried
 * again after a pause.  Amper.office.live: start(), stop().  Loaded after bureau-detail.js.
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var RETRY_MS = 5000;
  var ANNOUNCE_DELAY_MS = 50;

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format;
  var office = Amper.office;  // bureau-list.js
  var live = { source: null, timer: null, cut: false, wanted: false };

  function say(text) {
    var region = byId("live");
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, ANNOUNCE_DELAY_MS);
  }

  function showCut(on) {
    live.cut = on;
    var node = byId("live-lost");
    node.textContent = on ? texts.liveLost : "";
    node.hidden = !on;
  }

  function onChanges(event) {
    var data = {};
    try { data = JSON.parse(event.data || "{}") || {}; } catch (ignored) { data = {}; }
    if (typeof data.open === "number") { office.list.setTitle(data.open); }
    var changed = Array.isArray(data.changed) ? data.changed : [];
    office.list.load({ live: true }).then(function (fresh) {
      if (fresh && fresh.length === 1) {
        say(format(texts.newRequest, { reference: fresh[0] }));
      } else if (fresh && fresh.length > 1) {
        say(format(texts.newRequests, { references: fresh.join(", ") }));
      }
    });
    var current = office.detail.current();
    if (current && changed.indexOf(current.reference) >= 0) { office.detail.refresh(current.reference); }
  }

  function onOpen() {
    var wasCut = live.cut;
    showCut(false);
    if (wasCut) { office.list.load({ live: true }); }  // what happened while cut off
  }

  function onError() {
    if (!live.wanted) { return; }
    showCut(true);
    if (live.source && live.source.readyState === window.EventSource.CLOSED) {
      close();
      window.clearTimeout(live.timer);
      live.timer = window.setTimeout(function () {  // the list first: a 401 logs out
        office.list.load({ live: true }).then(function () { if (live.wanted) { open(); } });
      }, RETRY_MS);
    }
  }

  function open() {
    if (live.source || !window.EventSource) { return; }
    var source = live.source = new window.EventSource("/api/bureau/evenements");
    source.addEventListener("demandes", onChanges);
    source.addEventListener("open", onOpen);
    source.addEventListener("error", onError);
  }

  function close() {
    if (live.source) { live.source.close(); live.source = null; }
  }

  function start() {
    live.wanted = true;
    open();
  }

  function stop() {
    live.wanted = false;
    window.clearTimeout(live.timer);
    close();
    showCut(false);
    byId("live").textContent = "";
  }

  office.live = { start: start, stop: stop };
})();
