// Editor uploads: the button, files dropped on the text and pasted screenshots go to
// POST /api/v1/pages/<slug>/attachments (with the CSRF token); the answer's Markdown is
// inserted at the cursor. An upload that starts a draft moves the editor onto that draft.
(function () {
  "use strict";
  var box = document.getElementById("upload");
  var form = document.getElementById("page-editor");
  if (!box || !form) return;
  var body = form.querySelector("textarea[name=body]");
  var base = form.querySelector("input[name=base_revision_id]");
  var input = document.getElementById("upload-input");
  var button = document.getElementById("upload-button");
  var status = document.getElementById("upload-status");
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var maxBytes = parseInt(box.dataset.maxBytes, 10);
  var queue = Promise.resolve();

  function say(text, error) {
    status.textContent = text;
    status.classList.toggle("upload__status--error", !!error);
  }

  function insert(markdown) {
    var start = body.selectionStart, end = body.selectionEnd, text = body.value;
    var before = text.slice(0, start), after = text.slice(end);
    var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var tail = after && !/^\n/.test(after) ? "\n\n" : "";
    var piece = lead + markdown + tail;
    body.setRangeText(piece, start, end, "end");
    body.dispatchEvent(new Event("input", { bubbles: true }));  // preview and local draft
  }

  function named(file) {
    if (file.name && file.name !== "image.png") return file.name;
    var stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-");
    var type = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    return "screenshot-" + stamp + "." + type;  // a pasted screenshot has no name of its own
  }

  function send(file) {
    if (file.size > maxBytes) {
      say(file.name + " is " + (file.size / 1048576).toFixed(1) + " MB; files can be at most " + box.dataset.maxMb + " MB.", true);
      return Promise.resolve();
    }
    var data = new FormData();
    var name = named(file);
    data.append("file", file, name);
    say("Uploading " + name + "…");
    box.classList.add("upload--busy");
    return fetch(box.dataset.uploadUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf }, body: data
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; },
        function () { return { ok: false, answer: { error: { message: "The server answered " + response.status + "." } } }; });
    }).then(function (result) {
      box.classList.remove("upload--busy");
      if (!result.ok) { say("Not uploaded: " + result.answer.error.message, true); return; }
      var file = result.answer;
      insert(file.markdown);
      if (file.created_draft && base) {
        base.value = String(file.revision_id);  // the upload started a draft: save onto it
        say("Added " + file.filename + ". It started your draft proposal #" + file.proposal_id + "; saving adds your text to it.");
      } else {
        say("Added " + file.filename + " to your proposal #" + file.proposal_id + ".");
      }
    }).catch(function () {
      box.classList.remove("upload--busy");
      say("Not uploaded: the server could not be reached. Your text is safe.", true);
    });
  }

  function sendAll(files) {
    Array.prototype.forEach.call(files, function (file) {
      queue = queue.then(function () { return send(file); });
    });
  }

  button.addEventListener("click", function () { input.click(); });
  input.addEventListener("change", function () { sendAll(input.files); input.value = ""; });
  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
      event.preventDefault();
      body.classList.add("field--dropping");
    }
  });
  body.addEventListener("dragleave", function () { body.classList.remove("field--dropping"); });
  body.addEventListener("drop", function (event) {
    body.classList.remove("field--dropping");
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    body.focus();
    sendAll(event.dataTransfer.files);
  });
  body.addEventListener("paste", function (event) {
    var items = event.clipboardData ? event.clipboardData.files : [];
    if (!items || !items.length) return;  // text: the browser pastes it
    event.preventDefault();
    sendAll(items);
  });
})();
