// Loaded in <head>, before anything is painted (so no flash of the wrong theme): the theme chosen
// with the header's toggle (localStorage "peerwiki-theme": "light" or "dark"; otherwise the
// system's prefers-color-scheme decides, in CSS), and the "js" class that scripted-only
// controls (the phone menu, the theme toggle, the shortcuts list) are shown with.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var chosen = localStorage.getItem("peerwiki-theme");
    if (chosen === "light" || chosen === "dark") root.setAttribute("data-theme", chosen);
  } catch (e) { /* storage disabled: follow the system */ }
})();
