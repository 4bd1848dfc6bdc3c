{#- The embed script (GET /widget.js): <script src="https://GATEWAY/widget.js" defer></script>
    on any page adds a « Discuter avec AMPER » button that opens the chat (GATEWAY/widget) in
    an iframe.  The gateway's address is read from this script's own src.  Styles are set
    through element.style (allowed by a host page's CSP, unlike a style attribute). -#}
{%- set texts = {"open": "Discuter avec AMPER", "title": "Assistant AMPER"} -%}
/* AMPER chat widget: one button, one iframe. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || window.amperWidget) { return; }
  window.amperWidget = true;

  var texts = {{ texts|tojson }};
  var origin = new URL(script.src, document.baseURI).origin;
  var BLUE = "#0a4d8c";

  function style(node, rules) {
    Object.keys(rules).forEach(function (name) { node.style[name] = rules[name]; });
  }

  function start() {
    var button = document.createElement("button");
    var frame = null;
    var loaded = false;
    button.type = "button";
    button.textContent = texts.open;
    button.setAttribute("aria-expanded", "false");
    style(button, {
      position: "fixed", right: "1rem", bottom: "1rem", zIndex: "2147483000",
      minHeight: "3rem", padding: "0.75rem 1.25rem", borderRadius: "1.5rem",
      border: "3px solid #ffffff", background: BLUE, color: "#ffffff",
      font: "700 1.125rem/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
      boxShadow: "0 2px 10px rgba(0, 0, 0, 0.35)", cursor: "pointer"
    });

    function isOpen() { return button.getAttribute("aria-expanded") === "true"; }

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.id = "amper-widget-frame";
        frame.title = texts.title;
        frame.src = origin + "/widget";
        style(frame, {
          position: "fixed", right: "1rem", bottom: "5rem", zIndex: "2147483000",
          width: "min(28rem, calc(100vw - 2rem))", height: "min(42rem, calc(100vh - 7rem))",
          border: "2px solid " + BLUE, borderRadius: "0.75rem", background: "#ffffff",
          boxShadow: "0 4px 18px rgba(0, 0, 0, 0.35)"
        });
        frame.addEventListener("load", function () { loaded = true; focusFrame(); });
        document.body.appendChild(frame);
        button.setAttribute("aria-controls", frame.id);
      }
      frame.style.display = "block";
      button.setAttribute("aria-expanded", "true");
      focusFrame();
    }

    function focusFrame() {
      if (!frame || !isOpen()) { return; }
      frame.focus();
      if (loaded) { frame.contentWindow.postMessage("amper:focus", origin); }
    }

    function close() {
      if (!frame || !isOpen()) { return; }
      frame.style.display = "none";
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }

    button.addEventListener("click", function () { if (isOpen()) { close(); } else { open(); } });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) { close(); }
    });
    window.addEventListener("message", function (event) {
      if (event.origin === origin && frame && event.source === frame.contentWindow
          && event.data === "amper:close") { close(); }
    });
    document.body.appendChild(button);
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
