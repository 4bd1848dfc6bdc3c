/* The staff's screen (/conseiller), the unanswered questions: the clients' questions left
 * without an answer, out of scope or judged not useful, in groups, each labelled with a FAQ
 * topic (the topics from the page's <template id="topic-options">) for the next training.
 * Amper.staff.questions: setup(), reset(), load().  Loaded after common.js, before
 * conseiller.js (docs/staff-contract.md).
 */
(function () {
  "use strict";

  var Amper = window.Amper;  // common.js, loaded first

  var texts = Amper.texts;
  var byId = Amper.byId, format = Amper.format, element = Amper.element, button = Amper.button;
  var empty = Amper.empty, note = Amper.note, uniqueId = Amper.uniqueId;
  var api = Amper.api, post = Amper.post;
  var state = { questionsRun: 0 };

  function loggedOut(result) { return Amper.staff.loggedOut(result); }

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

  /* Back to an empty list (login, logout): a list on its way is dropped. */
  function reset() {
    state.questionsRun += 1;
    empty(byId("questions-list"));
    note("questions-note", "");
  }

  function setup() {
    byId("questions-refresh").addEventListener("click", loadQuestions);
  }

  Amper.staff = Amper.staff || {};
  Amper.staff.questions = { setup: setup, reset: reset, load: loadQuestions };
})();
