// Site-wide behaviour: the phone menu, the theme toggle, keyboard shortcuts, keyboard access to
// boxes that scroll sideways, and spending an editor's local draft after a successful save.
(function () {
  "use strict";

  // A page reached after a successful editor save spends that editor's local draft.
  (function () {
    var key = null;
    try { key = sessionStorage.getItem("peerwiki-submitted-draft"); } catch (e) { return; }
    if (!key || document.getElementById("page-editor")) return;
    try {
      localStorage.removeItem(key);
      sessionStorage.removeItem("peerwiki-submitted-draft");
    } catch (e) { /* storage disabled: nothing to clean */ }
  })();

  // The header's menu on narrow screens: a disclosure button (CSS shows it only there).
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  function setMenu(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  if (toggle && menu) {
    toggle.addEventListener("click", function () {
      setMenu(toggle.getAttribute("aria-expanded") !== "true");
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true" &&
          getComputedStyle(toggle).display !== "none") {
        setMenu(false);
        toggle.focus();
      }
    });
  }

  // The theme toggle: the opposite of what is shown now, remembered in this browser.
  var root = document.documentElement;
  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var themeButton = document.querySelector(".theme-toggle");
  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : Boolean(systemDark && systemDark.matches);
  }
  function showTheme() {
    if (!themeButton) return;
    var dark = isDark();
    themeButton.setAttribute("aria-pressed", dark ? "true" : "false");
    themeButton.title = dark ? "Dark theme (on)" : "Dark theme (off)";
  }
  if (themeButton) {
    themeButton.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("peerwiki-theme", next); } catch (e) { /* this page only */ }
      showTheme();
    });
    if (systemDark && systemDark.addEventListener) systemDark.addEventListener("change", showTheme);
    showTheme();
  }

  // Keyboard shortcuts: "/" search, "e" edit, "?" this list; never while typing in a field.
  var dialog = document.getElementById("shortcuts");
  function openShortcuts() {
    if (dialog && !dialog.open && dialog.showModal) dialog.showModal();
  }
  document.querySelectorAll("[data-open-shortcuts]").forEach(function (button) {
    button.addEventListener("click", openShortcuts);
  });
  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || (dialog && dialog.open)) return;
    if (event.key === "?") {
      event.preventDefault();
      openShortcuts();
      return;
    }
    if (event.key !== "/" && event.key !== "e") return;
    var target = document.querySelector('[aria-keyshortcuts="' + event.key + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "INPUT") {
      if (toggle && menu && !target.offsetParent) setMenu(true);
      target.focus();
      target.select();
    } else {
      target.click();
    }
  });

  // Code blocks and tables scroll inside their own box; those that do can be reached (and
  // scrolled with the arrow keys) from the keyboard, and say what they are.
  function markScrollers() {
    document.querySelectorAll(".prose pre, .table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroller", "");
        if (box.classList.contains("table-scroll")) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", "Table (scrolls sideways)");
        }
      } else if (!scrolls && box.hasAttribute("data-scroller")) {
        ["tabindex", "data-scroller", "role", "aria-label"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  markScrollers();
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(markScrollers, 150);
  });
  document.addEventListener("peerwiki:content", markScrollers);
})();
