/* The staff's screen (/conseiller), the answer panel: the caller's question typed in a few
 * words, the best FAQ answer (and a close runner-up) with its confidence and its rules marked,
 * copied to the clipboard with a button or Enter.  Amper.staff.answers: setup(), reset().
 * Loaded after common.js, before conseiller.js (docs/staff-contract.md).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var DEBOUNCE_MS = 250;
  var ANSWER_MIN_CHARS = 3;
  var COPIED_MS = 4000;

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element, button = Amper.button;
  var empty = Amper.empty, announce = Amper.announce, uniqueId = Amper.uniqueId, api = Amper.api;
  var state = { answerRun: 0, answerTimer: null, answerAbort: null, answerWaiting: false, answers: [],
                copyWhenShown: false };

  var question = byId("question");
  var answersRegion = byId("answers");

  function loggedOut(result) { return Amper.staff.loggedOut(result); }

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

  /* Back to an empty panel (login, logout): an answer on its way is dropped. */
  function reset() {
    window.clearTimeout(state.answerTimer);
    state.answerTimer = null;
    state.answerRun += 1;
    if (state.answerAbort) { state.answerAbort.abort(); }
    state.answers = [];
    state.answerWaiting = false;
    state.copyWhenShown = false;
    question.value = "";
    empty(answersRegion);
  }

  function setup() {
    question.addEventListener("input", onQuestionInput);
    question.addEventListener("keydown", onQuestionKey);
  }

  Amper.staff = Amper.staff || {};
  Amper.staff.answers = { setup: setup, reset: reset };
})();
