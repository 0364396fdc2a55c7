// Header search: page-title suggestions as you type (arrow keys + Enter, Escape closes).
(function () {
  "use strict";
  var form = document.querySelector(".header-search");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = document.getElementById("header-suggestions");
  var timer = null, active = -1, items = [], controller = null;

  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
  function highlight(index) {
    var options = list.querySelectorAll("[role=option]");
    options.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index >= 0) input.setAttribute("aria-activedescendant", "suggestion-" + index);
    else input.removeAttribute("aria-activedescendant");
    active = index;
  }
  function show(suggestions) {
    list.innerHTML = "";
    items = suggestions;
    if (!suggestions.length) { close(); return; }
    suggestions.forEach(function (item, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "suggestion-" + index;
      var link = document.createElement("a");
      link.href = "/wiki/" + encodeURIComponent(item.slug);
      link.textContent = item.title;
      li.appendChild(link);
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(q), { signal: controller.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { show(data.suggestions || []); })
        .catch(function () { /* offline or aborted: keep typing */ });
    }, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, -1)); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); window.location.href = "/wiki/" + encodeURIComponent(items[active].slug); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
})();
