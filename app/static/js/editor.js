// Editor: live preview through /api/v1/render and a local draft so no text is ever lost.
(function () {
  "use strict";
  var form = document.getElementById("page-editor");
  if (!form) return;
  var body = form.querySelector("textarea[name=body]");
  var title = form.querySelector("input[name=title]");
  var preview = document.getElementById("preview");
  var status = document.getElementById("draft-status");
  var base = form.querySelector("input[name=base_revision_id]");
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var key = form.dataset.draftKey;
  var timer = null;
  var pending = null;

  function renderPreview() {
    if (pending) pending.abort();
    if (!body.value.trim()) {
      preview.innerHTML = '<p class="muted">Start writing on the left; the page appears here as readers will see it.</p>';
      return;
    }
    pending = new AbortController();
    fetch(form.dataset.renderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ markdown: body.value }),
      signal: pending.signal
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        preview.innerHTML = result.data.html;  // sanitised by the server's one renderer
        document.dispatchEvent(new Event("peerwiki:content"));  // site.js: keyboard access to wide boxes
      } else {
        preview.textContent = "Preview unavailable: " + result.data.error.message;
      }
    }).catch(function (error) {
      if (error.name !== "AbortError") preview.textContent = "Preview unavailable (are you offline?). Your text is safe.";
    });
  }

  function saveDraft() {
    try {
      localStorage.setItem(key, JSON.stringify({
        title: title.value, body: body.value, base: base ? base.value : "", saved: Date.now()
      }));
      status.textContent = "Draft kept in this browser at " + new Date().toLocaleTimeString() + ".";
    } catch (e) { /* storage full or disabled: nothing to do */ }
  }

  function onInput() {
    clearTimeout(timer);
    timer = setTimeout(function () { renderPreview(); saveDraft(); }, 300);
  }

  function offerDraft() {
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { return; }
    if (!raw) return;
    var draft = JSON.parse(raw);
    // The same text as the form: it was saved (or restored) already, so the draft is spent.
    if (!draft.body || draft.body === body.value) { localStorage.removeItem(key); return; }
    var bar = document.createElement("div");
    bar.className = "banner banner--info";
    bar.setAttribute("role", "status");
    bar.textContent = "You have unsaved text for this page from " + new Date(draft.saved).toLocaleString() + ". ";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button button--small";
    restore.textContent = "Restore my draft";
    restore.addEventListener("click", function () {
      body.value = draft.body;
      if (draft.title) title.value = draft.title;
      bar.remove();
      renderPreview();
    });
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button--small button--quiet";
    discard.textContent = "Discard it";
    discard.addEventListener("click", function () { localStorage.removeItem(key); bar.remove(); });
    bar.appendChild(restore);
    bar.appendChild(discard);
    form.parentNode.insertBefore(bar, form);
  }

  // After a refused save (errors, conflict) the editor comes back with the text, so the draft
  // stays; after a successful save the next page clears it (see site.js).
  form.addEventListener("submit", function () {
    try { sessionStorage.setItem("peerwiki-submitted-draft", key); } catch (e) { /* ignore */ }
  });
  var refused = document.querySelector(".conflict, .field__error") !== null;
  if (refused) { try { sessionStorage.removeItem("peerwiki-submitted-draft"); } catch (e) { /* ignore */ } }

  body.addEventListener("input", onInput);
  title.addEventListener("input", onInput);
  body.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); form.requestSubmit(); }
  });
  offerDraft();
  renderPreview();
})();
