/* The practice workspace: guard check and masking, streamed answers (SSE over fetch),
   the draft editor with AI-inserted text marked until the user rewrites it (word by word),
   autosave, ratings.
   No inline script: everything is wired here from data attributes (strict CSP). */
(function () {
  "use strict";

  var root = document.querySelector(".practice-layout");
  if (!root) { return; }

  var KO = document.documentElement.lang !== "en";
  var T = {
    saving: KO ? "저장 중…" : "Saving…",
    saved: KO ? "저장됨 " : "Saved ",
    saveFailed: KO ? "저장하지 못했습니다. 연결을 확인하세요. 내용은 이 창에 남아 있고, 다시 고치면 또 저장을 시도합니다." : "Could not save. Check your connection. Your text stays in this window and is saved again on your next change.",
    thinking: KO ? "답변을 받는 중입니다…" : "Receiving the answer…",
    done: KO ? "답변을 다 받았습니다." : "The answer is complete.",
    estimated: KO ? "토큰 사용량은 추정치입니다(서버가 사용량을 보내지 않음)." : "Token usage is an estimate (the server sent none).",
    empty: KO ? "보낼 내용을 입력하세요." : "Type a message first.",
    tooLong: KO ? "입력이 너무 깁니다." : "The message is too long.",
    clean: KO ? "개인정보나 분류 표시를 찾지 못했습니다. 보내도 됩니다." : "No personal data or classification markers found. You can send it.",
    found: KO ? "개 항목을 찾았습니다. 가린 뒤에 보낼 수 있습니다." : " item(s) found. Mask them before sending.",
    masked: KO ? "개인정보를 가렸습니다. 가린 글을 확인한 뒤 보내세요." : "Personal data masked. Check the text, then send it.",
    inserted: KO ? "답변을 초안 끝에 넣었습니다." : "The answer was added to the end of the draft.",
    network: KO ? "서버에 연결하지 못했습니다. 잠시 뒤 다시 시도하세요. 입력한 글은 그대로 있습니다." : "Could not reach the server. Try again shortly; your text is still here.",
    cut: KO ? "답변이 도중에 끊겼습니다. 받은 부분까지 저장했습니다." : "The answer was cut off. What arrived has been saved.",
    rated: KO ? "평가를 저장했습니다." : "Rating saved.",
    pickScore: KO ? "평점을 고르세요." : "Choose a score.",
    checksumFailed: KO ? " (검증 숫자가 맞지 않지만, 2020년 10월 이후 발급 번호는 검증 숫자가 없으므로 개인정보로 봅니다)" : " (check digit fails, but numbers issued since October 2020 have none, so it is treated as personal data)",
    aiMark: KO ? "AI가 넣은 글" : "Inserted from AI",
    quotaWarning: KO ? "오늘 쓸 수 있는 양의 80%를 넘었습니다." : "You have used over 80% of today's allowance."
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function announce(element, text) {
    element.textContent = "";
    window.setTimeout(function () { element.textContent = text; }, 30);
  }

  var chatStatus = document.getElementById("chat-status");
  var draftStatus = document.getElementById("draft-status");
  var readonly = root.dataset.readonly === "true";

  /* ---------------- the draft editor ---------------- */
  var editor = document.getElementById("draft-editor");
  var revision = parseInt(root.dataset.revision, 10);
  var saveTimer = null;
  var dirty = false;
  var saving = false;

  /* AI marking. Each <mark class="practice-ai"> remembers the AI text it held when last
     checked. After an edit its text is compared with that: the unchanged start and end stay
     AI text and what lies between is the user's. A word the user changed inside becomes the
     user's as a whole (words end at white space); text typed at the very start or end of a
     mark takes no AI text with it. So editing one word unmarks that word, not the block,
     and the share of AI text counts only what the AI wrote and nobody changed since. */
  var aiText = new WeakMap();
  var SPACE = /\s/;

  function isAiMark(node) {
    return node.nodeName === "MARK" && node.classList.contains("practice-ai");
  }

  function textOf(node) {
    var out = "";
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        out += child.nodeValue;
      } else if (child.nodeName === "BR") {
        out += "\n";
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        var block = child.nodeName === "DIV" || child.nodeName === "P";
        if (block && out && !/\n$/.test(out)) { out += "\n"; }
        out += textOf(child);
      }
    });
    return out;
  }

  // [AI text kept at the start, the user's text, AI text kept at the end] of a mark that
  // held `before` and now holds `after`; the three join to `after`.
  function splitEdit(before, after) {
    if (before === after) { return [after, "", ""]; }
    var shorter = Math.min(before.length, after.length);
    var start = 0;
    while (start < shorter && before.charAt(start) === after.charAt(start)) { start += 1; }
    var tail = 0;
    while (tail < shorter - start &&
           before.charAt(before.length - 1 - tail) === after.charAt(after.length - 1 - tail)) { tail += 1; }
    var end = after.length - tail;
    var removed = before.slice(start, before.length - tail);
    var added = after.slice(start, end);
    var pureInsert = removed === "";
    // The word left of the edit changed if the edit touches it (it lost or gained letters),
    // unless the user only typed after the end of the mark.
    var firstTouched = (removed || added).charAt(0);
    var lastTouched = removed ? removed.charAt(removed.length - 1) : added.charAt(added.length - 1);
    if (start > 0 && !SPACE.test(after.charAt(start - 1)) && firstTouched && !SPACE.test(firstTouched) &&
        !(pureInsert && start === before.length)) {
      while (start > 0 && !SPACE.test(after.charAt(start - 1))) { start -= 1; }
    }
    if (end < after.length && !SPACE.test(after.charAt(end)) && lastTouched && !SPACE.test(lastTouched) &&
        !(pureInsert && tail === before.length)) {
      while (end < after.length && !SPACE.test(after.charAt(end))) { end += 1; }
    }
    return [after.slice(0, start), after.slice(start, end), after.slice(end)];
  }

  function markParts(mark) {
    var known = aiText.get(mark);
    var now = textOf(mark);
    return known === undefined ? ["", now, ""] : splitEdit(known, now);
  }

  function newMark(text) {
    var mark = document.createElement("mark");
    mark.className = "practice-ai";
    mark.title = T.aiMark;
    mark.textContent = text;
    aiText.set(mark, text);
    return mark;
  }

  function caretIn(mark) {
    var selection = window.getSelection();
    if (!selection.rangeCount || !mark.contains(selection.focusNode)) { return null; }
    var range = document.createRange();
    range.selectNodeContents(mark);
    range.setEnd(selection.focusNode, selection.focusOffset);
    return range.toString().length;
  }

  function placeCaret(node, offset) {
    var range = document.createRange();
    range.setStart(node, Math.min(offset, node.nodeValue.length));
    range.collapse(true);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Show in the editor what segments() saves: a mark whose text changed is split into the
  // AI text that is left (still marked) and the user's (plain).
  function reconcileMarks() {
    editor.querySelectorAll("mark.practice-ai").forEach(function (mark) {
      if (!mark.isConnected) { return; }
      var outer = mark.parentNode.closest ? mark.parentNode.closest("mark.practice-ai") : null;
      if (outer && editor.contains(outer)) {  // a mark inside a mark: its text is the outer's
        while (mark.firstChild) { mark.parentNode.insertBefore(mark.firstChild, mark); }
        mark.parentNode.removeChild(mark);
        return;
      }
      var known = aiText.get(mark);
      var now = textOf(mark);
      if (known === now) { return; }
      var parts = markParts(mark);
      var caret = caretIn(mark);
      var nodes = [
        parts[0] ? newMark(parts[0]) : null,
        document.createTextNode(parts[1]),
        parts[2] ? newMark(parts[2]) : null
      ];
      nodes.forEach(function (node) { if (node) { mark.parentNode.insertBefore(node, mark); } });
      mark.parentNode.removeChild(mark);
      if (caret === null) { return; }
      var first = parts[0].length;
      var middle = parts[1].length;
      if (nodes[0] && (caret < first || (caret === first && !middle))) {
        placeCaret(nodes[0].firstChild, caret);
      } else if (caret <= first + middle || !nodes[2]) {
        placeCaret(nodes[1], caret - first);
      } else {
        placeCaret(nodes[2].firstChild, caret - first - middle);
      }
    });
  }

  function segments() {
    var result = [];
    function push(text, ai) {
      if (!text) { return; }
      var last = result[result.length - 1];
      if (last && last.ai === ai) { last.text += text; } else { result.push({ text: text, ai: ai }); }
    }
    function walk(node) {
      node.childNodes.forEach(function (child) {
        if (child.nodeType === Node.TEXT_NODE) {
          push(child.nodeValue, false);
        } else if (child.nodeName === "BR") {
          push("\n", false);
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          var block = child.nodeName === "DIV" || child.nodeName === "P";
          if (block && result.length && !/\n$/.test(result[result.length - 1].text)) { push("\n", false); }
          if (isAiMark(child)) {
            // Worked out from the text, so a save during an IME composition is right too.
            var parts = markParts(child);
            push(parts[0], true);
            push(parts[1], false);
            push(parts[2], true);
          } else {
            walk(child);
          }
        }
      });
    }
    walk(editor);
    return result;
  }

  function save(reason) {
    if (readonly) { return Promise.resolve(); }
    if (saving) { dirty = true; return Promise.resolve(); }
    saving = true;
    dirty = false;
    draftStatus.textContent = T.saving;
    return postJSON(root.dataset.saveUrl, { segments: segments(), revision: revision, reason: reason || "autosave" })
      .then(function (result) {
        saving = false;
        if (result.ok) {
          revision = result.data.revision;
          var time = new Date().toLocaleTimeString(KO ? "ko-KR" : "en-GB", { hour12: false });
          draftStatus.textContent = T.saved + time;
          if (dirty) { scheduleSave(); }
        } else {
          dirty = true;
          draftStatus.textContent = result.data.message || T.saveFailed;
        }
      })
      .catch(function () { saving = false; dirty = true; draftStatus.textContent = T.saveFailed; });
  }

  function scheduleSave(reason) {
    dirty = true;
    if (saveTimer) { window.clearTimeout(saveTimer); }
    saveTimer = window.setTimeout(function () { saveTimer = null; save(reason); }, 1200);
  }

  if (editor) {
    editor.querySelectorAll("mark.practice-ai").forEach(function (mark) { aiText.set(mark, textOf(mark)); });
  }

  if (editor && !readonly) {
    editor.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        document.execCommand("insertText", false, "\n");
      }
    });
    editor.addEventListener("paste", function (event) {
      event.preventDefault();
      var text = (event.clipboardData || window.clipboardData).getData("text/plain");
      document.execCommand("insertText", false, text);
    });
    editor.addEventListener("input", function (event) {
      // Not while an IME is composing a syllable (Korean): moving its text would break it.
      if (!event.isComposing) { reconcileMarks(); }
      scheduleSave("autosave");
    });
    editor.addEventListener("compositionend", function () { reconcileMarks(); scheduleSave("autosave"); });
    editor.addEventListener("blur", function () { if (dirty && !saveTimer) { save("autosave"); } });
    window.addEventListener("beforeunload", function (event) {
      if (dirty || saving) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  function insertIntoDraft(text) {
    if (!editor || readonly || !text) { return; }
    var existing = editor.textContent;
    if (existing && !/\n$/.test(existing)) { editor.appendChild(document.createTextNode("\n")); }
    editor.appendChild(newMark(text));
    editor.appendChild(document.createTextNode("\n"));
    if (saveTimer) { window.clearTimeout(saveTimer); saveTimer = null; }
    save("insert");
    announce(chatStatus, T.inserted);
  }

  /* ---------------- the guard ---------------- */
  var composer = document.getElementById("composer");
  var input = document.getElementById("composer-text");
  var panel = document.getElementById("guard-panel");
  var count = document.getElementById("composer-count");
  var maxInput = parseInt(root.dataset.maxInput, 10);

  function renderGuard(report, text) {
    var preview = document.getElementById("guard-preview");
    var list = document.getElementById("guard-findings");
    var summary = document.getElementById("guard-summary");
    preview.textContent = "";
    list.textContent = "";
    if (report.clean) {
      panel.hidden = true;
      announce(chatStatus, T.clean);
      return;
    }
    // The server counts characters as code points; JavaScript strings count UTF-16 units.
    var chars = Array.from(text);
    var cursor = 0;
    report.findings.forEach(function (finding) {
      preview.appendChild(document.createTextNode(chars.slice(cursor, finding.start).join("")));
      var mark = document.createElement("mark");
      mark.className = finding.personal ? "practice-finding" : "practice-finding practice-finding-marker";
      mark.textContent = chars.slice(finding.start, finding.end).join("");
      var label = document.createElement("span");
      label.className = "sr-only";
      label.textContent = " (" + finding.label + ")";
      mark.appendChild(label);
      preview.appendChild(mark);
      cursor = finding.end;

      var item = document.createElement("li");
      var strong = document.createElement("strong");
      strong.textContent = finding.label + ": ";
      item.appendChild(strong);
      item.appendChild(document.createTextNode(finding.explanation + (finding.checksum === false ? T.checksumFailed : "")));
      list.appendChild(item);
    });
    preview.appendChild(document.createTextNode(chars.slice(cursor).join("")));
    var personal = report.findings.filter(function (f) { return f.personal; }).length;
    summary.textContent = report.refusal ? report.refusal : (personal + T.found);
    document.getElementById("guard-mask").hidden = personal === 0;
    panel.hidden = false;
    panel.focus();
  }

  function updateCount() {
    if (count) { count.textContent = input.value.length.toLocaleString() + " / " + maxInput.toLocaleString(); }
  }

  if (composer) {
    input.addEventListener("input", function () { updateCount(); panel.hidden = true; });
    document.getElementById("composer-check").addEventListener("click", function () {
      var text = input.value;
      postJSON(root.dataset.guardUrl, { text: text }).then(function (result) {
        if (result.ok) { renderGuard(result.data, text); } else { announce(chatStatus, result.data.message || T.network); }
      }).catch(function () { announce(chatStatus, T.network); });
    });
    document.getElementById("guard-mask").addEventListener("click", function () {
      postJSON(root.dataset.maskUrl, { text: input.value }).then(function (result) {
        if (!result.ok) { announce(chatStatus, result.data.message || T.network); return; }
        input.value = result.data.text;
        updateCount();
        if (result.data.guard.clean) {
          panel.hidden = true;
          input.focus();
          announce(chatStatus, T.masked);
        } else {
          renderGuard(result.data.guard, result.data.text);
        }
      }).catch(function () { announce(chatStatus, T.network); });
    });
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      send();
    });
  }

  /* ---------------- sending and streaming ---------------- */
  var log = document.getElementById("chat-log");
  var list = document.getElementById("chat-list");
  var sendButton = document.getElementById("composer-send");
  var answerCount = 0;

  function addQuestion(text) {
    var item = document.createElement("li");
    item.className = "practice-msg practice-msg-question";
    var who = document.createElement("p");
    who.className = "practice-msg-who";
    who.textContent = KO ? "나" : "Me";
    var body = document.createElement("div");
    body.className = "practice-msg-text";
    body.textContent = text;
    item.appendChild(who);
    item.appendChild(body);
    list.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function addAnswer() {
    var template = document.getElementById("tpl-answer");
    var item = template.content.firstElementChild.cloneNode(true);
    answerCount += 1;
    var select = item.querySelector(".practice-rating-score");
    var label = item.querySelector(".practice-rating label.sr-only");
    select.id = "rating-new-" + answerCount;
    label.htmlFor = select.id;
    item.querySelectorAll(".practice-reason").forEach(function (box) {
      var input = box.querySelector("input");
      input.id = "reason-new-" + answerCount + "-" + input.value;
      box.querySelector("label").htmlFor = input.id;
    });
    list.appendChild(item);
    log.scrollTop = log.scrollHeight;
    wireAnswer(item);
    return item;
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var name = "message";
      var data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
        else if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
      });
      if (data) {
        try { onEvent(name, JSON.parse(data)); } catch (error) { /* a malformed event is skipped */ }
      }
    });
    return rest;
  }

  // The server sends the answer's document part with its last event: "초안에 넣기" inserts
  // that and no label, notes or checklist (the button stays hidden when there is none).
  function setInsertable(item, text) {
    var button = item.querySelector(".practice-insert");
    if (!button) { return; }
    button.dataset.insert = text || "";
    button.hidden = !text;
  }

  // Once the answer is complete, show its document part apart from the talk around it,
  // without the ```문서 fence lines (the same parts the page shows after a reload).
  function showParts(item, parts) {
    if (!parts || !parts.length) { return; }
    var textEl = item.querySelector(".practice-msg-text");
    textEl.textContent = "";
    parts.forEach(function (part) {
      var el = document.createElement(part.document ? "div" : "p");
      el.className = part.document ? "practice-msg-doc" : "practice-msg-talk";
      el.textContent = part.text;
      textEl.appendChild(el);
    });
  }

  var resendable = (root.dataset.resendable || "").split(" ");

  function finishAnswer(item, note, failedCode) {
    log.setAttribute("aria-busy", "false");
    if (sendButton) { sendButton.disabled = false; }
    var text = item.querySelector(".practice-msg-text").textContent;
    if (text) { item.querySelector(".practice-msg-actions").hidden = false; }
    if (note) {
      var noteEl = item.querySelector(".practice-msg-note");
      noteEl.textContent = note;
      noteEl.hidden = false;
    }
    var resend = item.querySelector(".practice-resend");
    if (resend && failedCode && resendable.indexOf(failedCode) !== -1) { resend.hidden = false; }
  }

  function streamAnswer(url, item, afterNote) {
    var textEl = item.querySelector(".practice-msg-text");
    var finished = false;
    log.setAttribute("aria-busy", "true");
    announce(chatStatus, T.thinking);
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken(), "Accept": "text/event-stream" } })
      .then(function (response) {
        if (!response.ok || !response.body) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            finished = true;
            finishAnswer(item, data.message || T.network);
            announce(chatStatus, data.message || T.network);
          });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              if (!finished) { finished = true; finishAnswer(item, T.cut, "stream_cut"); announce(chatStatus, T.cut); }
              return;
            }
            buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (name, data) {
              if (name === "start") {
                item.dataset.messageId = data.message_id;
                var form = item.querySelector(".practice-rating");
                form.dataset.url = url.replace(/\/stream$/, "/rating");
              } else if (name === "delta") {
                textEl.appendChild(document.createTextNode(data.text));
                log.scrollTop = log.scrollHeight;
              } else if (name === "done") {
                finished = true;
                showParts(item, data.parts);
                setInsertable(item, data.insert);
                finishAnswer(item, data.estimated ? T.estimated : null);
                announce(chatStatus, afterNote ? T.done + " " + afterNote : T.done);
              } else if (name === "error") {
                finished = true;
                showParts(item, data.parts);
                setInsertable(item, data.insert);
                finishAnswer(item, data.message, data.code);
                announce(chatStatus, data.message);
              }
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        if (!finished) { finished = true; finishAnswer(item, T.cut, "stream_cut"); announce(chatStatus, T.cut); }
      });
  }

  function send() {
    var text = input.value.trim();
    if (!text) { announce(chatStatus, T.empty); input.focus(); return; }
    if (text.length > maxInput) { announce(chatStatus, T.tooLong); return; }
    sendButton.disabled = true;
    postJSON(root.dataset.postUrl, { text: text }).then(function (result) {
      if (!result.ok) {
        sendButton.disabled = false;
        if (result.data.guard) { renderGuard(result.data.guard, text); }
        else { announce(chatStatus, result.data.message || T.network); }
        return;
      }
      input.value = "";
      updateCount();
      panel.hidden = true;
      addQuestion(text);
      streamAnswer(result.data.stream_url, addAnswer(), result.data.quota_warning ? T.quotaWarning : null);
    }).catch(function () { sendButton.disabled = false; announce(chatStatus, T.network); });
  }

  /* ---------------- per-answer actions ---------------- */
  function wireAnswer(item) {
    var retry = item.querySelector(".practice-retry");
    if (retry) {
      retry.addEventListener("click", function () {
        retry.hidden = true;
        item.querySelector(".practice-msg-note").hidden = true;
        streamAnswer(retry.dataset.streamUrl, item, null);
      });
    }
    var resend = item.querySelector(".practice-resend");
    if (resend) {
      resend.addEventListener("click", function () {
        // Send the question this answer was for once more, through the guard like any message.
        var question = item.previousElementSibling;
        while (question && !question.classList.contains("practice-msg-question")) {
          question = question.previousElementSibling;
        }
        if (!question || !input) { return; }
        input.value = question.querySelector(".practice-msg-text").textContent;
        updateCount();
        resend.hidden = true;
        send();
      });
    }
    var insert = item.querySelector(".practice-insert");
    if (insert) {
      insert.addEventListener("click", function () {
        insertIntoDraft(insert.dataset.insert || "");
      });
    }
    var form = item.querySelector(".practice-rating");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var score = form.querySelector(".practice-rating-score").value;
        if (!score) { announce(chatStatus, T.pickScore); return; }
        var reasons = Array.prototype.map.call(form.querySelectorAll("input:checked"), function (box) { return box.value; });
        postJSON(form.dataset.url, { score: parseInt(score, 10), reasons: reasons }).then(function (result) {
          announce(chatStatus, result.ok ? T.rated : (result.data.message || T.network));
        }).catch(function () { announce(chatStatus, T.network); });
      });
    }
  }

  list.querySelectorAll(".practice-msg-answer").forEach(wireAnswer);
})();
