// Site-wide: a page reached after a successful editor save spends that editor's local draft.
(function () {
  "use strict";
  var key = null;
  try { key = sessionStorage.getItem("peerwiki-submitted-draft"); } catch (e) { return; }
  if (!key || document.getElementById("page-editor")) return;
  try {
    localStorage.removeItem(key);
    sessionStorage.removeItem("peerwiki-submitted-draft");
  } catch (e) { /* storage disabled: nothing to clean */ }
})();
