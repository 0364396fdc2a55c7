// The page tree sits above the page on narrow screens: start it folded there (it stays a
// <details>, so without JavaScript it is open and still folds with a tap).
(function () {
  "use strict";
  var tree = document.getElementById("space-tree");
  if (tree && window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
    tree.open = false;
  }
})();
